"""Tiny inline SVG charts: no script, no library, readable without colour."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def size_chart(
    points: Sequence[tuple[str, int]], *, width: int = 560, height: int = 120, pad: int = 24
) -> str:
    """A line chart of (label, value) points with the first/last labels and the maximum.

    Returns an SVG element as a string (labels escaped), or "" for no points.
    """
    if not points:
        return ""
    peak = max(value for _, value in points) or 1
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def xy(index: int, value: int) -> tuple[float, float]:
        return pad + index * step, height - pad - (height - 2 * pad) * value / peak

    coords = [xy(i, value) for i, (_, value) in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5">'
        f"<title>{escape(label)}: {value}</title></circle>"
        for (x, y), (label, value) in zip(coords, points, strict=True)
    )
    first, last = escape(points[0][0]), escape(points[-1][0])
    return (
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" aria-label="size over time, peak {peak}">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#d0d5dd"/>'
        f'<polyline fill="none" stroke="#2456d6" stroke-width="2" points="{line}"/>'
        f'<g fill="#2456d6">{dots}</g>'
        f'<text x="{pad}" y="{height - 6}" font-size="10" fill="#667085">{first}</text>'
        f'<text x="{width - pad}" y="{height - 6}" font-size="10" fill="#667085" '
        f'text-anchor="end">{last}</text>'
        f'<text x="{pad}" y="{pad - 8}" font-size="10" fill="#667085">max {peak}</text>'
        "</svg>"
    )
