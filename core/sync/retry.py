"""Retrying platform calls with tenacity: only what the plugin says is retryable.

:class:`Retryable` (and its :class:`RateLimited`) is retried with exponential backoff
and full jitter, never sooner than the platform's ``retry_after``. Everything else
(:class:`AuthFailed`, :class:`PermanentFailure`, :class:`OutcomeUnknown`, bugs) goes
straight back to the caller. Each run has a :class:`RetryBudget`: when it is spent the
records of the call are remembered as failed and retried by the next run instead.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from junction.plugins import Retryable

__all__ = ["RetryBudget", "RetryPolicy", "call_with_retries"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How one call is retried.

    Attributes:
        attempts: Calls at most per batch (the first one included).
        initial: The first backoff, in seconds; doubled each retry up to ``maximum``.
        maximum: The longest backoff of our own.
        max_retry_after: The longest ``retry_after`` honoured; a platform asking for
            more is waited for this long (the run's wait budget still applies).
        run_retries: Retries a whole run may spend.
        run_wait: Seconds a whole run may spend waiting between retries.
        sleep: How to wait; injectable so tests can observe waits without taking them.
    """

    attempts: int = 6
    initial: float = 0.5
    maximum: float = 60.0
    max_retry_after: float = 600.0
    run_retries: int = 200
    run_wait: float = 900.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    def budget(self) -> RetryBudget:
        return RetryBudget(retries=self.run_retries, wait=self.run_wait)


@dataclass
class RetryBudget:
    """What a run has left to spend on retries."""

    retries: int
    wait: float
    spent_retries: int = 0
    waits: list[float] = field(default_factory=list)

    def can_spend(self, seconds: float) -> bool:
        return self.retries > 0 and self.wait >= seconds

    def spend(self, seconds: float) -> None:
        self.retries -= 1
        self.wait -= seconds
        self.spent_retries += 1
        self.waits.append(seconds)


def backoff(policy: RetryPolicy, retry: int, error: BaseException | None) -> float:
    """Seconds to wait before retry number ``retry`` (1-based).

    Full jitter (uniform up to the exponential step) spreads retries of many workers;
    a platform's ``retry_after`` is a floor, capped at ``policy.max_retry_after``.
    """
    step = min(policy.maximum, policy.initial * 2 ** (retry - 1))
    wait = random.uniform(step / 2, step)
    hint = getattr(error, "retry_after", None)
    if isinstance(hint, int | float) and hint > 0:
        wait = max(wait, min(float(hint), policy.max_retry_after))
    return wait


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    budget: RetryBudget,
    on_attempt: Callable[[int, BaseException | None], Awaitable[None]] | None = None,
) -> T:
    """Run ``call`` until it succeeds, raises a non-retryable error, or retries run out.

    ``on_attempt(number, error)`` is awaited after every attempt (error None on
    success), so each one can be recorded.

    Raises:
        Retryable: the last retryable error, when the policy or the budget ran out.
        PluginError: any non-retryable error, at once.
    """

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return backoff(policy, state.attempt_number, error)

    def stop(state: RetryCallState) -> bool:
        # tenacity computes the wait first; the budget decides whether to take it.
        seconds = state.upcoming_sleep
        if state.attempt_number >= policy.attempts or not budget.can_spend(seconds):
            return True
        budget.spend(seconds)
        return False

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(Retryable),
        stop=stop,
        wait=wait,
        sleep=policy.sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            number = attempt.retry_state.attempt_number
            try:
                result = await call()
            except BaseException as exc:
                if on_attempt is not None and not isinstance(exc, asyncio.CancelledError):
                    await on_attempt(number, exc)
                raise
            if on_attempt is not None:
                await on_attempt(number, None)
            return result
    raise AssertionError("unreachable: tenacity either returns or re-raises")
