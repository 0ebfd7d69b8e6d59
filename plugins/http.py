"""HTTP helpers every platform plugin needs the same way."""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime

import httpx

__all__ = ["retry_after"]


def retry_after(
    source: httpx.Response | str | None, *, now: datetime | None = None
) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (RFC 9110): delay-seconds or an
    HTTP date. None when there is none or it can't be read; never negative.

    ``source`` is a response (its header is read) or the header's value.

    Example::

        if response.status_code == 429:
            raise RateLimited("throttled", retry_after=retry_after(response))
    """
    value = source.headers.get("Retry-After") if isinstance(source, httpx.Response) else source
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    return max(0.0, seconds) if math.isfinite(seconds) else None
