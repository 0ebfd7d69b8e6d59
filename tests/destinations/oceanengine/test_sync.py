"""End to end through the real SyncEngine: a 100,000-member segment reaches the fake
data source in one run, a second run removes exactly who left, and a run survives a
rate limit and a token expiry in the middle."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Identity, Profile, ProfileTag
from junction.core.pii import sha256_hex
from junction.core.secrets import SecretBox
from junction.plugins.manager import Plugins, load_plugins

from ...core.sync.world import (
    ACTOR,
    assert_reconciles,
    box,
    compute,
    make_engine,
    make_push,
    make_segment,
    run_sync,
    untag,
)
from ...fakes.oceanengine import DAY, FakeOceanEngine
from .support import config_for

SYNC = "vips-to-ocean"


def plugins() -> Plugins:
    return load_plugins(builtins=("junction.destinations.oceanengine",), entry_points=False)


def number_of(pid: int) -> str:
    return f"139{pid:08d}"


def users(pids: list[int]) -> set[tuple[str, str]]:
    return {
        ("MOBILE_HASH_SHA256", hashlib.sha256(number_of(pid).encode()).hexdigest()) for pid in pids
    }


async def add_phone_people(db: Database, secrets: SecretBox, count: int) -> list[int]:
    """Profiles tagged ``vip`` with a sealed phone identity, stored as ID-mapping does."""
    now = datetime.now(UTC)
    async with db.transaction() as session:
        # A plain executemany, then the new ids: RETURNING would make SQLite insert
        # the 100,000 rows one statement at a time.
        await session.execute(
            insert(Profile),
            [{"traits": {}, "trait_updated_at": {}, "created_at": now, "updated_at": now}] * count,
        )
        newest = select(Profile.id).order_by(Profile.id.desc()).limit(count)
        ids = sorted((await session.execute(newest)).scalars())
        rows: list[dict[str, Any]] = []
        for pid in ids:
            raw = f"+86{number_of(pid)}"
            digest = sha256_hex(raw)
            sealed = secrets.seal({"value": raw}, context=f"identity:phone:{digest}")
            rows.append(
                {
                    "profile_id": pid,
                    "type": "phone",
                    "scope": "",
                    "value": digest,
                    "hashed": True,
                    "value_encrypted": sealed,
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
            )
        for start in range(0, len(rows), 10_000):
            await session.execute(insert(Identity), rows[start : start + 10_000])
        tags = [{"tag": "vip", "profile_id": p, "origin": "manual"} for p in ids]
        for start in range(0, len(tags), 10_000):
            await session.execute(insert(ProfileTag), tags[start : start + 10_000])
    return ids


async def setup(db: Database, fake: FakeOceanEngine, count: int, **sync: Any) -> Any:
    registry, secrets = plugins(), box()
    people = await add_phone_people(db, secrets, count)
    await make_segment(db)
    await compute(db)
    service = Connections(db, registry, secrets)
    await service.create(name="ocean", plugin="oceanengine", config=config_for(fake), actor=ACTOR)
    await make_push(db, registry, name=SYNC, connection="ocean", identifiers=("phone",), **sync)
    engine = make_engine(db, registry, secrets, {"ocean": fake.transport()})
    return engine, people


async def test_a_100k_segment_syncs_in_one_run_then_removals_follow(db: Database) -> None:
    fake = FakeOceanEngine(parse_reads=3)
    engine, people = await setup(db, fake, 100_000)

    run = await run_sync(engine, SYNC)
    assert run.status == "succeeded", run.error
    assert (run.planned, run.sent, run.accepted) == (100_000, 100_000, 100_000)
    assert (run.rejected, run.dead_lettered, run.failed, run.unknown) == (0, 0, 0, 0)
    assert_reconciles(run)
    assert fake.users() == users(people)
    assert fake.published() == users(people)
    # One create (from an empty file), then one append of the whole batch.
    assert fake.operations == [("create", 0), ("append", 100_000)]
    assert fake.calls["2/dmp/data_source/file/upload/"] == 2

    leavers = people[::100]  # 1,000 members leave the segment
    await untag(db, leavers)
    await compute(db)
    fake.advance(DAY)  # a day later: the platform allows the next publish
    run = await run_sync(engine, SYNC)
    assert run.status == "succeeded", run.error
    assert (run.planned, run.accepted, run.dead_lettered, run.failed) == (1_000, 1_000, 0, 0)
    assert_reconciles(run)
    stayers = sorted(set(people) - set(leavers))
    assert fake.users() == users(stayers)
    assert fake.operations[-1] == ("delete", 1_000)
    assert len(fake.sources) == 1  # the second run found the data source it created
    # A run of removals only leaves the publish to the next run, which has nothing to
    # send but publishes them first thing.
    assert fake.published() == users(people)
    run = await run_sync(engine, SYNC)
    assert run.status == "succeeded" and run.planned == 0
    assert fake.published() == users(stayers)


async def test_a_run_survives_a_rate_limit_and_a_token_expiry(db: Database) -> None:
    fake = FakeOceanEngine(parse_reads=1)
    engine, people = await setup(db, fake, 90, batch_size=30)
    fake.fail("http429", path="2/dmp/data_source/update/")
    fake.fail("expire_token", path="2/dmp/data_source/file/upload/", times=1)
    fake.fail("rate_limit", path="2/dmp/data_source/read/")

    run = await run_sync(engine, SYNC)
    assert run.status == "succeeded", run.error
    assert (run.planned, run.accepted, run.dead_lettered, run.failed) == (90, 90, 0, 0)
    assert run.retries >= 1
    assert_reconciles(run)
    assert fake.faults_injected == {"http429": 1, "expire_token": 1, "rate_limit": 1}
    # The first token, then one refresh after the expiry: made with the rotated refresh
    # token the hub's token store kept (the configured one was spent by the first).
    assert fake.refreshes == 2
    assert fake.users() == users(people)
    assert [op for op, _ in fake.operations] == ["create", "append", "append", "append"]


async def test_a_revoked_authorization_stops_the_run_with_a_clear_message(db: Database) -> None:
    fake = FakeOceanEngine(parse_reads=0)
    engine, _ = await setup(db, fake, 5)
    fake.refresh_token = "ocean-refresh-token-issued-elsewhere"  # the config's is now stale
    run = await run_sync(engine, SYNC)
    assert run.status == "failed"
    assert "authorize the app" in (run.error or "")
    assert fake.sources == {}


async def test_replace_mode_resets_the_data_source_to_the_segment(db: Database) -> None:
    fake = FakeOceanEngine(parse_reads=1)
    engine, people = await setup(db, fake, 50, mode="replace", batch_size=20)
    run = await run_sync(engine, SYNC)
    assert run.status == "succeeded", run.error
    assert (run.planned, run.accepted) == (50, 50)
    assert fake.users() == fake.published() == users(people)
    assert [op for op, _ in fake.operations] == ["create", "reset", "append", "append"]

    await untag(db, people[:10])
    await compute(db)
    fake.advance(DAY)
    run = await run_sync(engine, SYNC)
    assert run.status == "succeeded", run.error
    assert fake.users() == fake.published() == users(people[10:])
    assert [op for op, _ in fake.operations][-2:] == ["reset", "append"]
