"""Fitting text into WeCom's byte caps: cut cleanly, on a character, with a marker."""

from __future__ import annotations

__all__ = ["MARKER", "byte_length", "fit"]

#: Appended to text that was cut, so a reader knows there was more.
MARKER = "…(truncated)"


def byte_length(text: str) -> int:
    """The UTF-8 size of ``text``: WeCom counts its caps in bytes, not characters."""
    return len(text.encode("utf-8"))


def fit(text: str, max_bytes: int, marker: str = MARKER) -> str:
    """``text`` unchanged if it fits in ``max_bytes`` of UTF-8, else cut with ``marker``.

    The cut falls on a character boundary, so a multi-byte character (Chinese takes 3
    bytes) is never split into invalid UTF-8.

    Raises:
        ValueError: ``max_bytes`` can't even hold the marker.
    """
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    room = max_bytes - byte_length(marker)
    if room < 0:
        raise ValueError(f"{max_bytes} bytes can't hold the truncation marker {marker!r}")
    # The input was valid UTF-8, so only the last, partly kept character can be broken;
    # "ignore" drops exactly that.
    return data[:room].decode("utf-8", errors="ignore") + marker
