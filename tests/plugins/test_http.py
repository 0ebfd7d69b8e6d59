"""retry_after: delay-seconds or an HTTP date, never negative, None when unreadable."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from junction.plugins.http import retry_after

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Sun, 22 Nov 2026 12:00:30 GMT", 30.0),
        ("Sun, 22 Nov 2026 11:59:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        ("inf", None),
        (None, None),
    ],
)
def test_values(header: str | None, expected: float | None) -> None:
    assert retry_after(header, now=NOW) == expected


def test_reads_the_header_of_a_response() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    assert retry_after(httpx.Response(429)) is None
