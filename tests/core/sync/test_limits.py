"""The token bucket and the retry policy, on their own."""

from __future__ import annotations

import pytest

from junction.core.sync import (
    RateLimiters,
    RetryBudget,
    RetryPolicy,
    TokenBucket,
    call_with_retries,
)
from junction.plugins import AuthFailed, Limits, RateLimited, Retryable


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_the_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock, sleep=clock.sleep)
    waits = [await bucket.acquire() for _ in range(7)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3:] == pytest.approx([0.5, 0.5, 0.5, 0.5])
    clock.now += 10  # idle: refills to the burst, no more
    assert [await bucket.acquire() for _ in range(4)] == pytest.approx([0, 0, 0, 0.5])


def test_buckets_are_per_connection_and_only_when_declared() -> None:
    limiters = RateLimiters()
    limits = Limits(requests_per_second=5, burst=2)
    assert limiters.for_connection(1, limits) is limiters.for_connection(1, limits)
    assert limiters.for_connection(1, limits) is not limiters.for_connection(2, limits)
    assert limiters.for_connection(3, Limits()) is None


async def test_only_retryable_errors_are_retried() -> None:
    clock = Clock()
    policy = RetryPolicy(attempts=5, initial=1, maximum=8, sleep=clock.sleep)
    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RateLimited("slow down", retry_after=30)
        return "done"

    budget = policy.budget()
    assert await call_with_retries(flaky, policy=policy, budget=budget) == "done"
    assert clock.slept == pytest.approx([30, 30])  # Retry-After beats the short backoff
    assert budget.spent_retries == 2

    async def refused() -> str:
        calls.append(1)
        raise AuthFailed("bad key")

    calls.clear()
    with pytest.raises(AuthFailed):
        await call_with_retries(refused, policy=policy, budget=policy.budget())
    assert len(calls) == 1


async def test_backoff_grows_with_jitter_and_stops_at_the_attempt_limit() -> None:
    clock = Clock()
    policy = RetryPolicy(attempts=4, initial=1, maximum=3, sleep=clock.sleep)

    async def down() -> None:
        raise Retryable("HTTP 503")

    with pytest.raises(Retryable):
        await call_with_retries(down, policy=policy, budget=policy.budget())
    assert len(clock.slept) == 3
    for wait, step in zip(clock.slept, (1, 2, 3), strict=True):
        assert step / 2 <= wait <= step


async def test_the_budget_is_shared_by_the_calls_of_a_run() -> None:
    clock = Clock()
    policy = RetryPolicy(attempts=10, initial=1, maximum=1, sleep=clock.sleep)
    budget = RetryBudget(retries=3, wait=100)

    async def down() -> None:
        raise Retryable("HTTP 500")

    for _ in range(2):
        with pytest.raises(Retryable):
            await call_with_retries(down, policy=policy, budget=budget)
    assert budget.spent_retries == 3 and budget.retries == 0
