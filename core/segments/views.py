"""What the API and CLI show of segments: msgspec Structs, never ORM rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from junction.core.segments.splits import Split

__all__ = [
    "ArmResult",
    "MemberSample",
    "Preview",
    "SegmentDiff",
    "SegmentRunView",
    "SegmentView",
    "UpliftReport",
]


class SegmentRunView(msgspec.Struct, frozen=True, kw_only=True):
    """One computation: the snapshot's size and how it moved since the previous one."""

    id: int
    segment: str
    as_of: datetime
    started_at: datetime
    finished_at: datetime | None
    members: int
    added: int
    removed: int
    #: Members whose variant changed (the splits were edited).
    moved: int


class SegmentView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    description: str
    condition: dict[str, Any]
    splits: list[Split]
    created_by: str
    created_at: datetime
    updated_at: datetime
    last_run: SegmentRunView | None = None
    #: A cron expression (UTC) the hub recomputes it at, or None (on demand only).
    schedule: str | None = None


class MemberSample(msgspec.Struct, frozen=True, kw_only=True):
    """A member as a preview shows it: identifiers masked (``138****5678``)."""

    profile_id: int
    identifiers: list[str]
    variant: str = ""


class Preview(msgspec.Struct, frozen=True, kw_only=True):
    """How many profiles a definition selects now, and a few of them. Nothing is saved."""

    as_of: datetime
    count: int
    sample: list[MemberSample]
    seconds: float


class SegmentDiff(msgspec.Struct, frozen=True, kw_only=True):
    """The net change of a segment's activated members between two runs.

    ``added`` were not activated after ``since_run`` and are after ``run``; ``removed``
    the reverse. Holdout members are never in ``added`` (moving into the holdout puts
    them in ``removed``).
    """

    segment: str
    since_run: int | None
    run: int | None
    added: list[int]
    removed: list[int]


class ArmResult(msgspec.Struct, frozen=True, kw_only=True):
    members: int
    converted: int
    rate: float


class UpliftReport(msgspec.Struct, frozen=True, kw_only=True):
    """Conversion of treated vs holdout members, with a normal-approximation interval.

    ``difference`` is treated rate minus holdout rate (absolute, in rate units);
    ``interval`` its two-sided ``confidence`` interval; ``relative`` the difference
    over the holdout rate (None when the holdout did not convert at all).
    """

    segment: str
    event: str
    since: datetime
    until: datetime
    treated: ArmResult
    holdout: ArmResult
    difference: float
    interval: tuple[float, float]
    confidence: float
    relative: float | None
    significant: bool
