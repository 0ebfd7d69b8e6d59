"""A destination failing 30% of calls (429, 500, timeouts, dropped connections, some of
them after applying the batch): every member arrives, none twice, and the counts add up."""

from __future__ import annotations

import msgspec

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.sync import get_run
from junction.destinations.webhook import Webhook
from junction.plugins import Limits, hookimpl
from junction.plugins.manager import load_plugins

from ...fakes.webhook import FakeWebhook
from .test_push import emails
from .world import (
    SECRET,
    add_people,
    box,
    compute,
    fast_policy,
    make_engine,
    make_push,
    make_segment,
    run_sync,
    untag,
)

MEMBERS = 300


class _Batches:
    class TenWebhook(Webhook):
        spec = msgspec.structs.replace(
            Webhook.spec, name="ten_webhook", limits=Limits(max_batch_records=10)
        )

    @hookimpl
    def register_connectors(self) -> list[type]:
        return [self.TenWebhook]


async def test_every_member_once_despite_30_percent_faults(db: Database) -> None:
    registry = load_plugins(builtins=[_Batches()], entry_points=False)
    secrets = box()
    people = await add_people(db, secrets, MEMBERS)
    await make_segment(db)
    await compute(db)
    config = {"url": "https://hooks.example/hooks/junction", "signing_secret": SECRET}
    await Connections(db, registry, secrets).create(
        name="hook", plugin="ten_webhook", config=config, actor="t"
    )
    await make_push(db, registry)
    fake = FakeWebhook(SECRET, fault_rate=0.3, seed=2026)
    policy = fast_policy(attempts=12, run_retries=1000)
    engine = make_engine(db, registry, secrets, {"hook": fake.transport()}, policy=policy)

    run = await run_sync(engine, "vips-to-hook")

    faults = sum(fake.faults_injected.values())
    assert faults >= 0.2 * fake.requests, fake.faults_injected
    assert {kind.split("_")[0] for kind in fake.faults_injected} == {
        "429",
        "500",
        "timeout",
        "drop",
    }
    assert any(kind.endswith("_after") for kind in fake.faults_injected)
    # Delivered: every member is in the audience.
    assert fake.members["vips"] == emails(people)
    # None twice: each operation applied once, none resent after it was acknowledged.
    assert len(fake.applied) == MEMBERS and set(fake.applied.values()) == {1}
    assert not fake.resent_after_ack
    # The counts reconcile exactly.
    assert run.status == "succeeded", run.error
    assert (run.planned, run.sent, run.accepted) == (MEMBERS, MEMBERS, MEMBERS)
    assert (run.rejected, run.dead_lettered, run.unknown, run.failed) == (0, 0, 0, 0)
    assert run.retries == faults
    detail = await get_run(db, run.id)
    attempts = [a for b in detail.batches for a in b.attempts]
    assert len(attempts) == fake.requests == MEMBERS // 10 + faults
    assert sum(a.outcome != "ok" for a in attempts) == faults
    assert sum(b.accepted for b in detail.batches) == MEMBERS

    # And a 10% diff through the same faults: removals too, still each once.
    await untag(db, people[: MEMBERS // 10])
    await compute(db)
    second = await run_sync(engine, "vips-to-hook")
    assert (second.status, second.planned, second.accepted) == ("succeeded", 30, 30)
    assert fake.members["vips"] == emails(people[MEMBERS // 10 :])
    assert set(fake.applied.values()) == {1} and not fake.resent_after_ack
