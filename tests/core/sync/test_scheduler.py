"""Cron ticks: one scheduler claims each, missed ticks coalesce, disabled syncs wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from junction.core.db import Database
from junction.core.db.tables import Sync, SyncRun, SyncTick
from junction.core.sync import Scheduler, SyncUpdate, update_sync
from junction.core.sync.cron import check_cron, last_tick, next_tick

from .world import box, make_push, make_segment, make_webhook, plugins


def test_cron_ticks_are_utc_minutes() -> None:
    now = datetime(2026, 1, 1, 10, 30, 15, tzinfo=UTC)
    assert last_tick("*/15 * * * *", now) == datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
    assert last_tick("0 * * * *", now) == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert next_tick("0 * * * *", now) == datetime(2026, 1, 1, 11, 0, tzinfo=UTC)
    assert check_cron("  0  * * * * ") == "0 * * * *"
    with pytest.raises(ValueError, match="out of range"):
        check_cron("61 * * * *")


async def scheduled(db: Database) -> None:
    registry = plugins()
    await make_segment(db)
    await make_webhook(db, registry, box())
    await make_push(db, registry, schedule="0 * * * *")
    # Created well before the ticks below.
    async with db.transaction() as session:
        await session.execute(update(Sync).values(created_at=datetime(2026, 1, 1, tzinfo=UTC)))


async def count(db: Database, table: type) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_only_one_scheduler_claims_a_tick(db: Database) -> None:
    await scheduled(db)
    now = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
    first, second = Scheduler(db, "a"), Scheduler(db, "b")
    queued = await first.tick(now) + await second.tick(now)
    assert len(queued) == 1
    assert await count(db, SyncTick) == 1
    assert await count(db, SyncRun) == 1


async def test_missed_ticks_coalesce_into_one_run(db: Database) -> None:
    await scheduled(db)
    scheduler = Scheduler(db, "a")
    # Down from 12:00 to 17:20: only the newest tick (17:00) fires.
    assert len(await scheduler.tick(datetime(2026, 3, 1, 17, 20, tzinfo=UTC))) == 1
    async with db.sessions() as session:
        ticks = list(await session.scalars(select(SyncTick.fire_at)))
    assert ticks == [datetime(2026, 3, 1, 17, 0, tzinfo=UTC)]
    # The next tick while that run is still queued: recorded, coalesced, no second run.
    assert await scheduler.tick(datetime(2026, 3, 1, 18, 0, 5, tzinfo=UTC)) == []
    assert await count(db, SyncTick) == 2
    assert await count(db, SyncRun) == 1


async def test_disabled_and_new_syncs_do_not_fire(db: Database) -> None:
    await scheduled(db)
    await update_sync(db, plugins(), "vips-to-hook", SyncUpdate(enabled=False), actor="t")
    scheduler = Scheduler(db, "a")
    assert await scheduler.tick(datetime(2026, 3, 1, 12, 0, tzinfo=UTC)) == []
    await update_sync(db, plugins(), "vips-to-hook", SyncUpdate(enabled=True), actor="t")
    # A tick before the sync existed is not "missed".
    async with db.transaction() as session:
        await session.execute(
            update(Sync).values(created_at=datetime(2026, 3, 1, 12, 30, tzinfo=UTC))
        )
    assert await scheduler.tick(datetime(2026, 3, 1, 12, 45, tzinfo=UTC)) == []
    assert (
        len(await scheduler.tick(datetime(2026, 3, 1, 13, 0, tzinfo=UTC) + timedelta(seconds=1)))
        == 1
    )
