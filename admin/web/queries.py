"""Read-only summaries the pages need that no service offers yet (dashboard volumes,
segment size history). Kept here, small and read-only, until their owners add them."""

from __future__ import annotations

from datetime import timedelta

import msgspec
from sqlalchemy import func, select

from junction.core.db import Database
from junction.core.db.tables import Connection, Segment, SegmentRun, SourceCounter
from junction.core.db.types import utcnow


class DailyVolume(msgspec.Struct, frozen=True, kw_only=True):
    day: str
    source: str
    counter: str
    count: int


class SizePoint(msgspec.Struct, frozen=True, kw_only=True):
    run_id: int
    as_of: str
    members: int
    added: int
    removed: int


async def daily_volumes(db: Database, days: int = 7) -> list[DailyVolume]:
    """Per source, day and counter (accepted, duplicate, ...) over the last ``days``."""
    since = (utcnow() - timedelta(days=days - 1)).strftime("%Y-%m-%d")
    async with db.sessions() as session:
        rows = (
            await session.execute(
                select(SourceCounter.day, Connection.name, SourceCounter.name, SourceCounter.count)
                .join(Connection, Connection.id == SourceCounter.source_id)
                .where(SourceCounter.day >= since)
                .order_by(SourceCounter.day.desc(), Connection.name, SourceCounter.name)
            )
        ).all()
    return [DailyVolume(day=d, source=s, counter=c, count=n) for d, s, c, n in rows]


async def segment_history(db: Database, name: str, limit: int = 60) -> list[SizePoint]:
    """The segment's last ``limit`` finished computations, oldest first."""
    async with db.sessions() as session:
        rows = (
            await session.scalars(
                select(SegmentRun)
                .join(Segment, Segment.id == SegmentRun.segment_id)
                .where(Segment.name == name, SegmentRun.finished_at.is_not(None))
                .order_by(SegmentRun.id.desc())
                .limit(limit)
            )
        ).all()
    return [
        SizePoint(
            run_id=row.id,
            as_of=row.as_of.strftime("%Y-%m-%d %H:%M"),
            members=row.members,
            added=row.added,
            removed=row.removed,
        )
        for row in reversed(rows)
    ]


async def count_rows(db: Database, table: type) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)
