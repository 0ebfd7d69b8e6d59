"""Per-connection token buckets, sized from the plugin's declared limits.

Every call to a platform takes a token from its connection's bucket first. A bucket
holds at most ``burst`` tokens and refills at ``requests_per_second``; a connector
that declares no rate gets no bucket. Buckets live in the process: two worker
processes each keep their own, so a platform limit shared across a deployment is
``workers × rate`` at worst (documented in docs/syncs.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from junction.plugins import Limits

__all__ = ["RateLimiters", "TokenBucket"]


class TokenBucket:
    """A token bucket: ``acquire()`` waits until a token is free, then takes it.

    Args:
        rate: Tokens added per second.
        burst: The most tokens the bucket holds (and so the largest burst of calls).
        clock: Monotonic seconds; injectable for tests.
        sleep: How to wait; injectable for tests.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        # One waiter at a time, so tokens go out in arrival order.
        self._lock = asyncio.Lock()

    async def acquire(self) -> float:
        """Take one token, waiting for it if needed; return the seconds waited."""
        waited = 0.0
        async with self._lock:
            while True:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return waited
                wait = (1 - self._tokens) / self.rate
                waited += wait
                await self._sleep(wait)


class RateLimiters:
    """The buckets of one process, one per connection, made on first use."""

    def __init__(self) -> None:
        self._buckets: dict[int, TokenBucket | None] = {}

    def for_connection(self, connection_id: int, limits: Limits) -> TokenBucket | None:
        """The bucket of ``connection_id``; None when the connector declares no rate."""
        if connection_id not in self._buckets:
            rate = limits.requests_per_second
            self._buckets[connection_id] = TokenBucket(rate, max(1, limits.burst)) if rate else None
        return self._buckets[connection_id]
