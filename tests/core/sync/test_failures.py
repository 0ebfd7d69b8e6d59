"""Retries, auth failures, dead letters, parked unknowns and failed-key memory."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx
import msgspec
from sqlalchemy import select

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import SyncOperation
from junction.core.pii import PiiRegistry
from junction.core.sync import get_run, list_dead_letters, replay_dead_letters
from junction.core.sync.runs import claim
from junction.destinations.webhook import Webhook
from junction.plugins import Audience, BatchResult, Member, OutcomeUnknown, hookimpl
from junction.plugins.manager import load_plugins

from ...fakes.webhook import FakeWebhook
from .world import (
    SECRET,
    Waits,
    add_people,
    assert_reconciles,
    box,
    compute,
    email_of,
    fast_policy,
    make_engine,
    make_push,
    make_segment,
    make_webhook,
    plugins,
    run_sync,
)


class Scripted(httpx.AsyncBaseTransport):
    """Answers the first requests from a script ("429:7", "500", "timeout"), then the fake."""

    def __init__(self, fake: FakeWebhook, script: Sequence[str]) -> None:
        self.inner = fake.transport()
        self.script = list(script)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.script and b'"ping"' not in request.content:
            step = self.script.pop(0)
            if step == "timeout":
                raise httpx.ReadTimeout("scripted", request=request)
            status, _, after = step.partition(":")
            headers = {"Retry-After": after} if after else {}
            return httpx.Response(int(status), headers=headers, json={"error": "scripted"})
        return await self.inner.handle_async_request(request)


async def world(db: Database, count: int = 6) -> tuple[Any, Any, list[int]]:
    registry, secrets = plugins(), box()
    people = await add_people(db, secrets, count)
    await make_segment(db)
    await compute(db)
    await make_webhook(db, registry, secrets)
    await make_push(db, registry)
    return registry, secrets, people


async def test_retryable_errors_are_retried_honouring_retry_after(db: Database) -> None:
    registry, secrets, _ = await world(db)
    fake, waits = FakeWebhook(SECRET), Waits()
    transport = Scripted(fake, ["429:7", "500", "timeout"])
    engine = make_engine(db, registry, secrets, {"hook": transport}, policy=fast_policy(waits))
    run = await run_sync(engine, "vips-to-hook")
    assert run.status == "succeeded", run.error
    assert (run.accepted, run.retries) == (6, 3)
    assert waits.seconds[0] >= 7  # Retry-After is a floor
    assert all(wait < 7 for wait in waits.seconds[1:])  # then back to short backoff
    detail = await get_run(db, run.id)
    outcomes = [a.outcome for a in detail.batches[0].attempts]
    assert outcomes == ["rate_limited", "retryable", "retryable", "ok"]
    assert detail.batches[0].attempts[0].retry_after == 7
    assert set(fake.applied.values()) == {1} and len(fake.applied) == 6


async def test_auth_failure_stops_the_run_with_a_clear_message(db: Database) -> None:
    registry, secrets, _ = await world(db)
    fake = FakeWebhook("another-secret-0123456789")
    engine = make_engine(db, registry, secrets, {"hook": fake.transport()})
    run = await run_sync(engine, "vips-to-hook")
    assert run.status == "failed"
    assert "hook refused the sync" in (run.error or "")
    assert "refused the signature; check the signing secret" in (run.error or "")
    assert SECRET not in (run.error or "")
    assert (run.failed, run.accepted) == (6, 0)
    assert_reconciles(run)
    # Failed-key memory: fixed credentials, the next run sends what failed.
    good = FakeWebhook(SECRET)
    engine = make_engine(db, registry, secrets, {"hook": good.transport()})
    retry = await run_sync(engine, "vips-to-hook")
    assert (retry.status, retry.planned, retry.accepted) == ("succeeded", 6, 6)
    assert len(good.applied) == 6


async def test_exhausted_retries_are_remembered_for_the_next_run(db: Database) -> None:
    registry, secrets, _ = await world(db)
    fake = FakeWebhook(SECRET, fault_rate=1.0, faults=("500",))
    engine = make_engine(
        db, registry, secrets, {"hook": fake.transport()}, policy=fast_policy(attempts=3)
    )
    run = await run_sync(engine, "vips-to-hook")
    assert (run.status, run.failed, run.accepted, run.retries) == ("partial", 6, 0, 2)
    assert_reconciles(run)
    fake.fault_rate = 0.0
    again = await run_sync(engine, "vips-to-hook")
    assert (again.status, again.planned, again.accepted) == ("succeeded", 6, 6)


async def test_the_run_budget_caps_retries(db: Database) -> None:
    registry, secrets, _ = await world(db)
    fake = FakeWebhook(SECRET, fault_rate=1.0, faults=("429",), retry_after=5)
    policy = fast_policy(attempts=10, run_retries=100, run_wait=12)
    engine = make_engine(db, registry, secrets, {"hook": fake.transport()}, policy=policy)
    run = await run_sync(engine, "vips-to-hook")
    # Two waits of 5 s fit in 12 s of budget; the third does not.
    assert (run.status, run.retries, run.failed) == ("partial", 2, 6)
    assert fake.requests == 3


async def test_rejected_records_are_dead_lettered_and_replayable(db: Database) -> None:
    registry, secrets, people = await world(db)
    bad = {email_of(people[1]), email_of(people[4])}
    from junction.core.pii import sha256_hex

    hashed_bad = {sha256_hex(e) for e in bad}
    fake = FakeWebhook(
        SECRET,
        reject=lambda m: "unknown user" if m["identifiers"][0]["value"] in hashed_bad else None,
    )
    engine = make_engine(db, registry, secrets, {"hook": fake.transport()})
    run = await run_sync(engine, "vips-to-hook")
    assert (run.status, run.accepted, run.rejected, run.dead_lettered) == ("partial", 4, 2, 2)
    assert_reconciles(run)
    letters = await list_dead_letters(db, sync="vips-to-hook")
    assert {(d.profile_id, d.kind, d.reason) for d in letters} == {
        (people[1], "rejected", "unknown user"),
        (people[4], "rejected", "unknown user"),
    }
    # Not resent automatically: a permanent rejection waits for a person.
    quiet = await run_sync(engine, "vips-to-hook")
    assert (quiet.planned, quiet.sent) == (0, 0)
    # Replayed by hand once the platform would take them.
    fake.reject = None
    replay = await replay_dead_letters(db, "vips-to-hook", actor="t")
    assert replay.replayed == 2 and replay.run_id is not None
    assert await claim(engine.db, engine.worker, engine.lease, run_id=replay.run_id)
    await engine.execute(replay.run_id)
    detail = await get_run(db, replay.run_id)
    assert (detail.run.status, detail.run.planned, detail.run.accepted) == ("succeeded", 2, 2)
    assert await list_dead_letters(db, sync="vips-to-hook") == []
    assert len(fake.members["vips"]) == 6


async def test_members_without_usable_identifiers_are_dead_lettered(db: Database) -> None:
    registry, secrets, _ = await world(db)
    await make_push(db, registry, name="by-phone", identifiers=["phone"])
    fake = FakeWebhook(SECRET)
    engine = make_engine(db, registry, secrets, {"hook": fake.transport()})
    run = await run_sync(engine, "by-phone")
    assert (run.status, run.dead_lettered, run.sent) == ("partial", 6, 0)
    assert_reconciles(run)
    letters = await list_dead_letters(db, sync="by-phone")
    assert {d.kind for d in letters} == {"unprepared"}
    assert "no usable identifier" in letters[0].reason


class _Unsure:
    """A webhook whose adds time out after sending: the outcome is unknown."""

    class UnsureWebhook(Webhook):
        spec = msgspec.structs.replace(Webhook.spec, name="unsure_webhook")
        calls = 0

        async def add(self, ctx: Any, audience: Audience, members: Sequence[Member]) -> BatchResult:
            type(self).calls += 1
            raise OutcomeUnknown("the request went out and no answer came back")

    @hookimpl
    def register_connectors(self) -> list[type]:
        return [self.UnsureWebhook]


async def test_unknown_outcomes_are_parked_never_resent(db: Database) -> None:
    registry = load_plugins(builtins=[_Unsure()], entry_points=False)
    _Unsure.UnsureWebhook.calls = 0
    secrets = box()
    await add_people(db, secrets, 3)
    await make_segment(db)
    await compute(db)
    config = {"url": "https://hooks.example/hooks/junction", "signing_secret": SECRET}
    await Connections(db, registry, secrets).create(
        name="hook", plugin="unsure_webhook", config=config, actor="t"
    )
    await make_push(db, registry)
    engine = make_engine(db, registry, secrets, {})
    run = await run_sync(engine, "vips-to-hook")
    assert (run.status, run.unknown, run.retries) == ("partial", 3, 0)
    assert _Unsure.UnsureWebhook.calls == 1
    assert_reconciles(run)
    again = await run_sync(engine, "vips-to-hook")
    assert (again.planned, again.sent) == (0, 0)
    assert _Unsure.UnsureWebhook.calls == 1
    async with db.sessions() as session:
        statuses = set(await session.scalars(select(SyncOperation.status)))
    assert statuses == {"unknown"}
    assert {d.kind for d in await list_dead_letters(db)} == {"unknown"}


async def test_a_failing_destination_does_not_block_another(db: Database) -> None:
    from junction.core.sync import Worker

    registry, secrets, _ = await world(db)
    await make_webhook(
        db, registry, secrets, name="slow", url="https://slow.example/hooks/junction"
    )
    await make_push(db, registry, name="to-slow", connection="slow")
    hang = asyncio.Event()

    class Hanging(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await hang.wait()
            raise httpx.ConnectError("never", request=request)

    fake = FakeWebhook(SECRET)
    engine = make_engine(db, registry, secrets, {"hook": fake.transport(), "slow": Hanging()})
    from junction.core.sync import enqueue

    slow_run = await enqueue(db, "to-slow", trigger="manual", actor="t")
    fast_run = await enqueue(db, "vips-to-hook", trigger="manual", actor="t")
    worker = Worker(engine, concurrency=2)
    assert await worker.step() == [slow_run, fast_run]
    await asyncio.wait_for(worker.tasks[fast_run], timeout=10)
    assert (await get_run(db, fast_run)).run.status == "succeeded"
    assert (await get_run(db, slow_run)).run.status == "running"
    await worker.cancel()
    hang.set()


async def test_a_failure_while_preparing_fails_the_run_visibly(db: Database) -> None:
    registry, _, _ = await world(db)
    # Identities sealed with another key can't be opened: the run must stop, not hang.
    other = box()
    connections = Connections(db, registry, other)
    await connections.create(
        name="hook2",
        plugin="webhook",
        config={"url": "https://hooks.example/hooks/junction", "signing_secret": SECRET},
        actor="t",
    )
    await make_push(db, registry, name="other-key", connection="hook2")
    # A normalization other than the hub's own needs the raw value, not the stored digest.
    pii = PiiRegistry()
    pii.set_default("email", "gmail_canonical")
    engine = make_engine(
        db, registry, other, {"hook2": FakeWebhook(SECRET).transport()}, registry=pii
    )
    run = await asyncio.wait_for(run_sync(engine, "other-key"), timeout=30)
    assert run.status == "failed"
    assert "can't open identity values" in (run.error or "")
