"""Push syncs deliver a segment's membership changes, each once, on both databases."""

from __future__ import annotations

import msgspec
from sqlalchemy import func, select

from junction.core.db import Database
from junction.core.db.tables import SyncBatch, SyncOperation
from junction.core.pii import sha256_hex
from junction.core.sync import get_run, get_sync, operation_key
from junction.destinations.webhook import Webhook
from junction.plugins import Limits, hookimpl
from junction.plugins.manager import load_plugins

from ...fakes.webhook import FakeWebhook
from .world import (
    SECRET,
    add_people,
    assert_reconciles,
    box,
    compute,
    email_of,
    make_engine,
    make_push,
    make_segment,
    make_webhook,
    plugins,
    retag,
    run_sync,
    untag,
)


def emails(pids: list[int]) -> set[tuple[tuple[str, str], ...]]:
    return {(("email_sha256", sha256_hex(email_of(pid))),) for pid in pids}


async def setup(db: Database, fake: FakeWebhook, count: int = 10, **sync: object):
    registry, secrets = plugins(), box()
    people = await add_people(db, secrets, count)
    await make_segment(db)
    await compute(db)
    await make_webhook(db, registry, secrets)
    await make_push(db, registry, **sync)
    engine = make_engine(db, registry, secrets, {"hook": fake.transport()})
    return engine, people


async def test_first_run_adds_every_member_once(db: Database) -> None:
    fake = FakeWebhook(SECRET)
    engine, people = await setup(db, fake)
    run = await run_sync(engine, "vips-to-hook")
    assert run.status == "succeeded", run.error
    assert (run.planned, run.sent, run.accepted, run.failed) == (10, 10, 10, 0)
    assert_reconciles(run)
    assert fake.members["vips"] == emails(people)
    assert set(fake.applied.values()) == {1}
    # The ledger: one accepted add per member, keyed deterministically.
    sync = await get_sync(db, "vips-to-hook")
    async with db.sessions() as session:
        ops = (await session.execute(select(SyncOperation.key, SyncOperation.status))).all()
    expected = {operation_key(sync.id, f"seg:{sync.segment_run_id}", p, "add") for p in people}
    assert {key for key, _ in ops} == expected == set(fake.applied)
    assert {status for _, status in ops} == {"accepted"}


async def test_second_run_sends_only_the_diff(db: Database) -> None:
    fake = FakeWebhook(SECRET)
    engine, people = await setup(db, fake)
    await run_sync(engine, "vips-to-hook")
    newcomers = await add_people(db, engine.box, 3)
    await untag(db, people[:2])
    await compute(db)
    run = await run_sync(engine, "vips-to-hook")
    assert run.status == "succeeded", run.error
    assert (run.planned, run.accepted) == (5, 5)
    assert fake.members["vips"] == emails(people[2:] + newcomers)
    assert len(fake.applied) == 15 and set(fake.applied.values()) == {1}
    # Nothing changed since: a third run plans nothing and sends nothing.
    again = await run_sync(engine, "vips-to-hook")
    assert (again.status, again.planned, again.sent) == ("succeeded", 0, 0)


async def test_add_only_never_removes(db: Database) -> None:
    fake = FakeWebhook(SECRET)
    engine, people = await setup(db, fake, mode="add_only")
    await run_sync(engine, "vips-to-hook")
    await untag(db, people[:4])
    await compute(db)
    run = await run_sync(engine, "vips-to-hook")
    assert (run.planned, run.sent) == (0, 0)
    assert fake.members["vips"] == emails(people)


async def test_replace_sends_the_whole_membership_each_run(db: Database) -> None:
    fake = FakeWebhook(SECRET)
    engine, people = await setup(db, fake, mode="replace")
    first = await run_sync(engine, "vips-to-hook")
    assert (first.status, first.accepted) == ("succeeded", 10)
    await untag(db, people[:3])
    await compute(db)
    second = await run_sync(engine, "vips-to-hook")
    assert (second.status, second.planned, second.accepted) == ("succeeded", 7, 7)
    assert fake.members["vips"] == emails(people[3:])
    assert fake.bodies[-1]["session"]["last"] is True


async def test_a_member_returns_after_leaving(db: Database) -> None:
    fake = FakeWebhook(SECRET)
    engine, people = await setup(db, fake)
    await run_sync(engine, "vips-to-hook")
    await untag(db, people[:1])
    await compute(db)
    await run_sync(engine, "vips-to-hook")
    await retag(db, people[:1])
    await compute(db)
    run = await run_sync(engine, "vips-to-hook")
    assert (run.planned, run.accepted) == (1, 1)
    assert fake.members["vips"] == emails(people)


class _SmallBatches:
    """A webhook that declares a batch limit of 4 and a rate of 1000 calls/s."""

    class SmallWebhook(Webhook):
        spec = msgspec.structs.replace(
            Webhook.spec,
            name="small_webhook",
            limits=Limits(max_batch_records=4, requests_per_second=1000, burst=2),
        )

    @hookimpl
    def register_connectors(self) -> list[type]:
        return [self.SmallWebhook]


async def test_batches_follow_the_declared_limit(db: Database) -> None:
    registry = load_plugins(builtins=[_SmallBatches()], entry_points=False)
    secrets = box()
    await add_people(db, secrets, 10)
    await make_segment(db)
    await compute(db)
    from junction.core.connections import Connections

    config = {"url": "https://hooks.example/hooks/junction", "signing_secret": SECRET}
    await Connections(db, registry, secrets).create(
        name="hook", plugin="small_webhook", config=config, actor="test"
    )
    await make_push(db, registry)
    fake = FakeWebhook(SECRET)
    engine = make_engine(db, registry, secrets, {"hook": fake.transport()})
    run = await run_sync(engine, "vips-to-hook")
    assert run.accepted == 10
    sizes = [len(body["members"]) for body in fake.bodies]
    assert sizes == [4, 4, 2]
    detail = await get_run(db, run.id)
    assert [b.size for b in detail.batches] == [4, 4, 2]
    assert all(len(b.attempts) == 1 and b.attempts[0].outcome == "ok" for b in detail.batches)
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SyncBatch)) == 3


async def test_a_large_first_sync_is_planned_in_bulk(db: Database) -> None:
    # More operations than one INSERT chunk: PostgreSQL plans them with COPY.
    fake = FakeWebhook(SECRET)
    engine, _ = await setup(db, fake, count=5200)
    run = await run_sync(engine, "vips-to-hook")
    assert (run.status, run.planned, run.accepted) == ("succeeded", 5200, 5200)
    assert len(fake.applied) == 5200
    async with db.sessions() as session:
        keys = set(await session.scalars(select(SyncOperation.key)))
    assert keys == set(fake.applied)
