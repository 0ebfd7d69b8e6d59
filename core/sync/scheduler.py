"""The scheduler: queues a run of each enabled, scheduled sync at its cron ticks.

Any number of schedulers may run (one per hub process): each claims a tick by
inserting ``(sync, fire time)`` into ``sync_ticks``, whose primary key lets exactly one
succeed. Only the newest tick is ever due, so after downtime a sync runs once, not
once per missed tick; a tick while a run is already queued is recorded as coalesced.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from junction.core.db import Database
from junction.core.db.tables import Sync, SyncTick
from junction.core.db.types import utcnow
from junction.core.segments.schedule import refresh_due_segments
from junction.core.sync.cron import last_tick
from junction.core.sync.runs import queue_run

__all__ = ["Scheduler"]

log = logging.getLogger("junction.sync.scheduler")


class Scheduler:
    """Claims due cron ticks and queues runs for them."""

    def __init__(self, db: Database, name: str, *, interval: float = 15.0) -> None:
        self.db = db
        self.name = name
        self.interval = interval

    async def tick(self, now: datetime | None = None) -> list[int]:
        """Queue the runs due at ``now``; return the ids of the runs queued here.

        Segments due at ``now`` are recomputed first, so syncs of the same tick send
        their fresh changes.
        """
        now = now or utcnow()
        try:
            await refresh_due_segments(self.db, now, actor=f"scheduler:{self.name}")
        except Exception:
            log.exception("scheduled segment computation failed; syncs are queued anyway")
        async with self.db.sessions() as session:
            rows = (
                await session.execute(
                    select(Sync.id, Sync.schedule, Sync.created_at).where(
                        Sync.enabled.is_(True), Sync.schedule.is_not(None)
                    )
                )
            ).all()
        queued = []
        for sync_id, schedule, created_at in rows:
            fire_at = last_tick(schedule, now)
            if fire_at < created_at:
                continue  # the tick came before the sync existed
            run_id = await self._claim(sync_id, fire_at)
            if run_id is not None:
                queued.append(run_id)
        return queued

    async def _claim(self, sync_id: int, fire_at: datetime) -> int | None:
        async with self.db.sessions() as session:
            if await session.get(SyncTick, (sync_id, fire_at)) is not None:
                return None  # claimed already: the common case, answered without a write
        try:
            async with self.db.transaction() as session:
                tick = SyncTick(sync_id=sync_id, fire_at=fire_at, claimed_by=self.name)
                session.add(tick)
                await session.flush()
                try:
                    async with session.begin_nested():
                        tick.run_id = await queue_run(
                            session, sync_id, trigger="schedule", actor=f"scheduler:{self.name}"
                        )
                except IntegrityError:
                    log.info(
                        "sync %s already has a run queued; tick %s coalesced", sync_id, fire_at
                    )
                return tick.run_id
        except IntegrityError:
            return None  # another scheduler claimed this tick first

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Tick every ``interval`` seconds until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed; trying again in %ss", self.interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
