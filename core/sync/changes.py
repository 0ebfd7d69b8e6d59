"""The seam between segments and syncs: what changed in an audience since a cursor.

The engine plans from :class:`AudienceChanges`; :class:`SegmentAudience` implements it
over the segments package (``changes_since`` / ``members_for_activation``), which reads
``segment_memberships``, ``segment_runs`` and ``segment_changes``. Holdout members
never reach a destination: the segments package already leaves them out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

import msgspec
from sqlalchemy import func, select

from junction.core.db import Database
from junction.core.db.tables import Segment, SegmentRun
from junction.core.segments.changes import changes_since, members_for_activation

__all__ = ["AudienceChanges", "AudienceDiff", "SegmentAudience"]


class AudienceDiff(msgspec.Struct, frozen=True, kw_only=True):
    """Net changes from ``since`` (a segment run id, None for "nothing") to ``until``.

    ``until`` is None when the segment was never computed: there is nothing to sync.
    """

    since: int | None
    until: int | None
    added: list[int]
    removed: list[int]


class AudienceChanges(Protocol):
    """Membership of one audience, as the engine consumes it."""

    async def diff(self, since: int | None) -> AudienceDiff:
        """Net adds and removes after run ``since`` up to the newest run."""
        ...

    def members(self) -> AsyncIterator[list[int]]:
        """Every member of the newest snapshot, in batches of profile ids (ascending)."""
        ...

    async def latest(self) -> int | None:
        """The newest computation (segment run id), or None if never computed."""
        ...


class SegmentAudience:
    """:class:`AudienceChanges` of a stored segment."""

    def __init__(self, db: Database, segment: str) -> None:
        self.db = db
        self.segment = segment

    async def diff(self, since: int | None) -> AudienceDiff:
        diff = await changes_since(self.db, self.segment, since)
        return AudienceDiff(
            since=diff.since_run, until=diff.run, added=diff.added, removed=diff.removed
        )

    async def members(self) -> AsyncIterator[list[int]]:
        async for batch in members_for_activation(self.db, self.segment):
            yield batch

    async def latest(self) -> int | None:
        async with self.db.sessions() as session:
            return await session.scalar(
                select(func.max(SegmentRun.id))
                .join(Segment, Segment.id == SegmentRun.segment_id)
                .where(Segment.name == self.segment)
            )
