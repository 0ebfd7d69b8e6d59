"""Cron schedules (croniter), evaluated in UTC: for syncs and segment refreshes.

A schedule is a five-field cron expression ("*/15 * * * *") or None for manual runs
only. Schedulers ask :func:`last_tick` which tick is due: only the newest missed tick
fires, so a hub that was down for a day runs each job once on restart, not once per
missed tick.
"""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import (  # type: ignore[import-untyped]
    CroniterBadCronError,
    CroniterBadDateError,
    croniter,
)

__all__ = ["check_cron", "last_tick", "next_tick"]


def check_cron(expression: str) -> str:
    """Return ``expression`` stripped when croniter accepts it as a 5-field cron.

    Raises:
        ValueError: with croniter's reason, e.g. "[61 * * * *] is not acceptable".
    """
    text = " ".join(expression.split())
    if len(text.split(" ")) != 5:
        raise ValueError(
            f"{expression!r} is not a cron expression of five fields "
            "(minute hour day-of-month month day-of-week), e.g. '0 * * * *'"
        )
    try:
        croniter(text, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except (CroniterBadCronError, CroniterBadDateError, ValueError, KeyError) as exc:
        raise ValueError(f"{expression!r} is not a valid cron expression: {exc}") from None
    return text


def last_tick(expression: str, now: datetime) -> datetime:
    """The newest tick of ``expression`` at or before ``now`` (aware, UTC)."""
    ticks = croniter(expression, now.astimezone(UTC))
    if croniter.match(expression, now.astimezone(UTC).replace(second=0, microsecond=0)):
        return now.astimezone(UTC).replace(second=0, microsecond=0)
    previous: datetime = ticks.get_prev(datetime)
    return previous.astimezone(UTC)


def next_tick(expression: str, now: datetime) -> datetime:
    """The first tick of ``expression`` after ``now`` (aware, UTC)."""
    following: datetime = croniter(expression, now.astimezone(UTC)).get_next(datetime)
    return following.astimezone(UTC)
