"""The tables decide who runs what: one running run per sync, leases, take-over, fencing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from junction.core.db import Database
from junction.core.db.tables import SyncRun
from junction.core.db.types import utcnow
from junction.core.sync import SyncBusy, Worker, enqueue, get_run, list_runs
from junction.core.sync.runs import MAX_STARTS, LeaseLost, claim, fence, queue_run, take_over

from ...fakes.webhook import FakeWebhook
from .world import (
    SECRET,
    add_people,
    box,
    compute,
    make_engine,
    make_push,
    make_segment,
    make_webhook,
    plugins,
)


class Slow(httpx.AsyncBaseTransport):
    """The fake, answering after ``delay`` seconds; tracks requests in flight."""

    def __init__(self, fake: FakeWebhook, delay: float) -> None:
        self.inner = fake.transport()
        self.delay = delay
        self.in_flight = 0
        self.most_in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1


async def world(db: Database, count: int = 8):  # type: ignore[no-untyped-def]
    registry, secrets = plugins(), box()
    await add_people(db, secrets, count)
    await make_segment(db)
    await compute(db)
    await make_webhook(db, registry, secrets)
    await make_push(db, registry)
    return registry, secrets


async def test_the_index_allows_one_running_and_one_queued_run(db: Database) -> None:
    await world(db)
    async with db.transaction() as session:
        await queue_run(session, 1, trigger="manual", actor="t")
    with pytest.raises(SyncBusy, match="already has run 1 queued"):
        await enqueue(db, "vips-to-hook", trigger="manual", actor="t")
    async with db.transaction() as session:
        await session.execute(update(SyncRun).values(status="running"))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(SyncRun(sync_id=1, status="running", trigger="t", actor="t", details={}))


async def test_two_workers_never_run_the_same_sync_at_once(db: Database) -> None:
    registry, secrets = await world(db)
    fake = FakeWebhook(SECRET)
    slow = Slow(fake, delay=0.3)
    one = make_engine(db, registry, secrets, {"hook": slow}, worker="one")
    two = make_engine(db, registry, secrets, {"hook": slow}, worker="two")
    first = await enqueue(db, "vips-to-hook", trigger="manual", actor="t")
    workers = [Worker(one), Worker(two)]
    started = await asyncio.gather(*(w.step() for w in workers))
    assert sorted(started) == [[], [first]]
    # A second run queued meanwhile waits: neither worker may start it.
    second = await enqueue(db, "vips-to-hook", trigger="manual", actor="t")
    assert await asyncio.gather(*(w.step() for w in workers)) == [[], []]
    await asyncio.gather(*(w.run_until_idle() for w in workers))
    runs = {r.id: r for r in await list_runs(db)}
    assert runs[first].status == runs[second].status == "succeeded"
    assert runs[first].finished_at <= runs[second].started_at  # type: ignore[operator]
    assert slow.most_in_flight == 1
    assert set(fake.applied.values()) == {1} and len(fake.applied) == 8


async def test_a_stale_run_is_taken_over_and_resumed(db: Database) -> None:
    registry, secrets = await world(db)
    fake = FakeWebhook(SECRET)
    dead = make_engine(db, registry, secrets, {"hook": fake.transport()}, worker="dead")
    run_id = await enqueue(db, "vips-to-hook", trigger="manual", actor="t")
    assert await claim(db, dead.worker, lease=60, run_id=run_id) == run_id
    # The worker dies without a heartbeat: nobody may take the run while its lease lasts.
    alive = make_engine(db, registry, secrets, {"hook": fake.transport()}, worker="alive")
    assert await Worker(alive).step() == []
    async with db.transaction() as session:
        await session.execute(update(SyncRun).values(lease_until=utcnow() - timedelta(seconds=1)))
    worker = Worker(alive)
    assert await worker.step() == [run_id]
    await worker.run_until_idle()
    detail = await get_run(db, run_id)
    assert (detail.run.status, detail.run.worker, detail.run.starts) == ("succeeded", "alive", 2)
    # The dead worker can't write over the run any more.
    async with db.transaction() as session:
        with pytest.raises(LeaseLost):
            await fence(session, run_id, "dead", sent=1)


async def test_a_run_that_keeps_killing_workers_is_failed(db: Database) -> None:
    await world(db)
    run_id = await enqueue(db, "vips-to-hook", trigger="manual", actor="t")
    assert await claim(db, "w", lease=60, run_id=run_id)
    async with db.transaction() as session:
        await session.execute(
            update(SyncRun).values(starts=MAX_STARTS, lease_until=utcnow() - timedelta(seconds=1))
        )
    assert not await take_over(db, run_id, "w2", 60)
    detail = await get_run(db, run_id)
    assert detail.run.status == "failed"
    assert f"gave up after {MAX_STARTS} starts" in (detail.run.error or "")


async def test_heartbeats_keep_the_lease(db: Database) -> None:
    registry, secrets = await world(db, count=3)
    fake = FakeWebhook(SECRET)
    engine = make_engine(db, registry, secrets, {"hook": Slow(fake, delay=0.5)}, lease=0.6)
    run_id = await enqueue(db, "vips-to-hook", trigger="manual", actor="t")
    assert await claim(db, engine.worker, engine.lease, run_id=run_id)
    other = make_engine(db, registry, secrets, {"hook": fake.transport()}, worker="thief")
    task = asyncio.create_task(engine.execute(run_id))
    for _ in range(5):
        await asyncio.sleep(0.25)
        assert await Worker(other).step() == []  # never stale while heartbeats come
    assert await task == "succeeded"
