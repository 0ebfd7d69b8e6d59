"""Scheduled segments: computed at their cron ticks, once per tick across schedulers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from junction.core.db import Database
from junction.core.db.tables import ProfileTag, SegmentRun
from junction.core.segments import TagCondition, create_segment, get_segment
from junction.core.segments.api import SegmentUpdate, change
from junction.core.segments.errors import DefinitionError
from junction.core.segments.schedule import refresh_due_segments
from junction.core.sync import Scheduler

from .world import Person, insert_people

#: An hour's first minute, after the segments below are created (they are created "now").
LATER = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)


async def runs(db: Database) -> list[tuple[int, int]]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(SegmentRun.id, SegmentRun.members).order_by(SegmentRun.id)
        )
        return [(run_id, members) for run_id, members in rows]


async def tag(db: Database, pid: int) -> None:
    async with db.transaction() as session:
        await session.execute(insert(ProfileTag).values(tag="vip", profile_id=pid, origin="manual"))


async def test_a_scheduled_segment_is_computed_once_per_tick(db: Database) -> None:
    _, second = await insert_people(db, [Person(tags=["vip"]), Person()], orphans=False)
    view = await create_segment(
        db, "vips", TagCondition(tag="vip"), actor="t", schedule=" 0  *  * * * "
    )
    assert view.schedule == "0 * * * *"
    assert await refresh_due_segments(db, LATER) == ["vips"]
    assert await refresh_due_segments(db, LATER + timedelta(minutes=59)) == []  # same tick
    await tag(db, second)
    assert await refresh_due_segments(db, LATER + timedelta(hours=1)) == ["vips"]
    assert [members for _, members in await runs(db)] == [1, 2]


async def test_unscheduled_segments_are_left_alone(db: Database) -> None:
    await create_segment(db, "manual", TagCondition(tag="vip"), actor="t")
    assert await refresh_due_segments(db, LATER) == []
    assert await runs(db) == []


async def test_the_schedule_is_checked_and_can_be_dropped(db: Database) -> None:
    with pytest.raises(DefinitionError) as caught:
        await create_segment(db, "bad", TagCondition(tag="vip"), actor="t", schedule="61 * * * *")
    assert caught.value.path == "$.schedule"
    await create_segment(db, "vips", TagCondition(tag="vip"), actor="t", schedule="0 * * * *")
    await change(db, "vips", SegmentUpdate(schedule="manual"), actor="t")
    assert (await get_segment(db, "vips")).schedule is None
    assert await refresh_due_segments(db, LATER) == []


async def test_the_sync_scheduler_refreshes_segments_first(db: Database) -> None:
    await insert_people(db, [Person(tags=["vip"])], orphans=False)
    await create_segment(db, "vips", TagCondition(tag="vip"), actor="t", schedule="*/5 * * * *")
    await Scheduler(db, "one").tick(LATER)
    assert [members for _, members in await runs(db)] == [1]


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_concurrent_schedulers_compute_a_tick_once(database_url: str, backend: str) -> None:
    setup = Database.open(database_url)
    schedulers = [Database.open(database_url) for _ in range(3)]
    try:
        await insert_people(setup, [Person(tags=["vip"])], orphans=False)
        await create_segment(
            setup, "vips", TagCondition(tag="vip"), actor="t", schedule="0 * * * *"
        )
        done = await asyncio.gather(*(refresh_due_segments(db, LATER) for db in schedulers))
        assert sorted(len(names) for names in done) == [0, 0, 1]
        async with setup.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(SegmentRun)) == 1
    finally:
        for db in (setup, *schedulers):
            await db.close()
