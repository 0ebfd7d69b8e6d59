"""Scheduled recomputation: segments with a cron schedule are computed at its ticks.

Any number of hub processes may run the scheduler. Each due tick is claimed by one of
them with a conditional update of ``segments.scheduled_at`` (only the process whose
update matched computes), and only the newest missed tick counts, so a hub that was
down computes each segment once on restart. Traits are recomputed first, once per
tick that has due segments, so conditions on computed traits (order totals, RFM,
lifecycle) see today's values. Syncs scheduled at the same tick see the new changes:
the sync scheduler refreshes segments before it queues runs.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select, update

from junction.core.cron import last_tick
from junction.core.db import Database
from junction.core.db.tables import Segment
from junction.core.db.types import utcnow
from junction.core.segments.compute import compute_segment
from junction.core.traits import recompute_traits

__all__ = ["refresh_due_segments"]

log = logging.getLogger("junction.segments.schedule")


async def refresh_due_segments(
    db: Database, now: datetime | None = None, *, actor: str = "scheduler"
) -> list[str]:
    """Compute every segment whose schedule has a tick due; return their names."""
    now = now or utcnow()
    async with db.sessions() as session:
        rows = (
            await session.execute(
                select(Segment.id, Segment.name, Segment.schedule, Segment.created_at).where(
                    Segment.schedule.is_not(None)
                )
            )
        ).all()
    claimed: list[str] = []
    for segment_id, name, schedule, created_at in rows:
        fire_at = last_tick(schedule, now)
        if fire_at >= created_at and await _claim(db, segment_id, fire_at):
            claimed.append(name)
    if not claimed:
        return []
    await recompute_traits(db, now=now)
    computed = []
    for name in claimed:
        try:
            await compute_segment(db, name, actor=actor, now=now)
        except Exception:
            # One broken definition (a trait undeclared since) must not stop the others.
            log.exception("scheduled computation of segment %s failed", name)
            continue
        computed.append(name)
    return computed


async def _claim(db: Database, segment_id: int, fire_at: datetime) -> bool:
    async with db.transaction() as session:
        result = await session.execute(
            update(Segment)
            .where(
                Segment.id == segment_id,
                or_(Segment.scheduled_at.is_(None), Segment.scheduled_at < fire_at),
            )
            .values(scheduled_at=fire_at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
