"""Which days a read pulls, and the checkpointed state that says where it stopped.

GA4 data is partitioned by day. A day is *settled* once it is older than the refresh
window (GA4 processes data for 24-48 hours; the BigQuery export takes late hits for up
to 3 days): the state's ``complete_through`` only ever moves onto settled days, so the
days after it are pulled again on every run until they settle.

State (JSON)::

    {"complete_through": "2024-05-01",          # last settled day read whole
     "resume": {"date": "2024-05-02", ...},     # where the day in progress stopped
     "recent": {"2024-05-03": ["<digest>", ...]}}  # Data API: pages already yielded
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import msgspec

from junction.plugins import PermanentFailure

__all__ = ["Resume", "State", "days_between", "load_state", "settled_through"]


class Resume(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The day in progress: a Data API offset, or a BigQuery job and page token."""

    date: date
    offset: int = 0
    job_id: str | None = None
    location: str | None = None
    page_token: str | None = None


class State(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    complete_through: date | None = None
    resume: Resume | None = None
    #: Data API: digests of the pages of each unsettled day already yielded, so an
    #: unchanged page is not yielded again (profile records have no dedup key).
    recent: dict[date, list[str]] = {}

    def first_day(self, start_date: date) -> date:
        if self.complete_through is None:
            return start_date
        return max(start_date, self.complete_through + timedelta(days=1))

    def resume_for(self, day: date) -> Resume | None:
        return self.resume if self.resume is not None and self.resume.date == day else None

    def to_json(self) -> dict[str, Any]:
        return _builtins(self)


def _builtins(state: State) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if state.complete_through is not None:
        out["complete_through"] = state.complete_through.isoformat()
    if state.resume is not None:
        out["resume"] = {
            key: value
            for key, value in msgspec.to_builtins(state.resume).items()
            if value is not None and not (key == "offset" and value == 0)
        }
    if state.recent:
        out["recent"] = {
            day.isoformat(): list(pages) for day, pages in sorted(state.recent.items())
        }
    return out


def load_state(raw: dict[str, Any]) -> State:
    """The state of the last checkpoint (``{}`` on the first read).

    Raises:
        PermanentFailure: the stored state is not one this connector wrote.
    """
    try:
        return msgspec.convert(raw, State)
    except msgspec.ValidationError as exc:
        raise PermanentFailure(
            f"The saved GA4 read state is not valid ({exc}); reset the sync's state to "
            "read again from the start date."
        ) from None


def days_between(first: date, last: date) -> Iterator[date]:
    """Every day from ``first`` to ``last``, both included."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def settled_through(today: date, refresh_days: int) -> date:
    """The last day that no longer changes: the day before the refresh window."""
    return today - timedelta(days=refresh_days + 1)
