"""What the sync engine consumes: activated members, and their net changes between runs.

Activation excludes the holdout variant: holdout members are computed and stored (the
uplift report needs them) but never reach a destination. A destination that synced up
to run R asks :func:`changes_since` for R and applies the net adds and removes; a
destination that syncs for the first time passes None and gets every activated member.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

from sqlalchemy import func, select

from junction.core.db import Database
from junction.core.db.tables import SegmentChange, SegmentMembership, SegmentRun
from junction.core.errors import NotFoundError
from junction.core.segments.splits import HOLDOUT
from junction.core.segments.store import load_segment
from junction.core.segments.views import SegmentDiff

__all__ = ["changes_since", "members_for_activation"]

_BATCH: Final = 10_000


def _activated(variant: str | None, only: str | None) -> bool:
    if variant is None or variant == HOLDOUT:
        return False
    return only is None or variant == only


async def changes_since(
    db: Database, segment: str, run_id: int | None, *, variant: str | None = None
) -> SegmentDiff:
    """The net activation changes of ``segment`` after run ``run_id`` up to its newest run.

    Args:
        db: The database.
        segment: The segment's name.
        run_id: The last run the caller applied; None for "from nothing".
        variant: Only members of this variant (an A/B arm); None for every
            non-holdout variant.

    Raises:
        NotFoundError: no such segment, or ``run_id`` is not one of its runs.
    """
    async with db.sessions() as session:
        row = await load_segment(session, segment)
        latest = await session.scalar(
            select(func.max(SegmentRun.id)).where(SegmentRun.segment_id == row.id)
        )
        if run_id is None:
            members = await session.execute(
                select(SegmentMembership.profile_id, SegmentMembership.variant)
                .where(SegmentMembership.segment_id == row.id)
                .order_by(SegmentMembership.profile_id)
            )
            added = [pid for pid, v in members if _activated(v, variant)]
            return SegmentDiff(segment=segment, since_run=None, run=latest, added=added, removed=[])
        owner = await session.scalar(select(SegmentRun.segment_id).where(SegmentRun.id == run_id))
        if owner != row.id:
            raise NotFoundError(f"segment `{segment}` has no run {run_id}")
        rows = await session.execute(
            select(SegmentChange.profile_id, SegmentChange.before, SegmentChange.after)
            .join(SegmentRun, SegmentRun.id == SegmentChange.run_id)
            .where(
                SegmentRun.segment_id == row.id,
                SegmentChange.run_id > run_id,
                # A computation committing meanwhile is left for the next call, so the
                # diff is exactly "after run_id up to latest" (PostgreSQL reads each
                # statement at its own snapshot under READ COMMITTED).
                SegmentChange.run_id <= latest,
            )
            .order_by(SegmentChange.profile_id, SegmentChange.run_id)
        )
        # Per profile: the state before its first change after run_id, and after its last.
        first: dict[int, str | None] = {}
        last: dict[int, str | None] = {}
        for pid, before, after in rows:
            first.setdefault(pid, before)
            last[pid] = after
    added, removed = [], []
    for pid, before in first.items():
        was, now = _activated(before, variant), _activated(last[pid], variant)
        if now and not was:
            added.append(pid)
        elif was and not now:
            removed.append(pid)
    return SegmentDiff(segment=segment, since_run=run_id, run=latest, added=added, removed=removed)


async def members_for_activation(
    db: Database, segment: str, *, variant: str | None = None, batch_size: int = _BATCH
) -> AsyncIterator[list[int]]:
    """The activated members of ``segment``'s newest snapshot, in batches of ids.

    Holdout members are never included.

    Raises:
        NotFoundError: no such segment.
    """
    async with db.sessions() as session:
        segment_id = (await load_segment(session, segment)).id
    after = 0
    while True:
        async with db.sessions() as session:
            query = (
                select(SegmentMembership.profile_id)
                .where(
                    SegmentMembership.segment_id == segment_id,
                    SegmentMembership.profile_id > after,
                    SegmentMembership.variant != HOLDOUT,
                )
                .order_by(SegmentMembership.profile_id)
                .limit(batch_size)
            )
            if variant is not None:
                query = query.where(SegmentMembership.variant == variant)
            batch = list(await session.scalars(query))
        if not batch:
            return
        yield batch
        after = batch[-1]
