"""End to end: segments synced to the fake through the real SyncEngine.

People are stored as ID-mapping stores them (phone identities as the SHA-256 of E.164,
plus the sealed raw value), so the engine itself opens, normalizes (``cn_mobile``) and
hashes (MD5) each number before the connector builds the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Identity, Profile, ProfileTag, SyncDeadLetter
from junction.core.pii import sha256_hex
from junction.core.secrets import SecretBox
from junction.plugins.manager import Plugins, load_plugins

from ...core.sync.world import (
    ACTOR,
    BUILTINS,
    Waits,
    assert_reconciles,
    box,
    compute,
    fast_policy,
    make_engine,
    make_push,
    make_segment,
    run_sync,
    untag,
)
from ...fakes.tencent_ads import FakeTencentAds
from .common import VALID, fake, md5

SYNC = "vips-to-tencent"


def mobile(pid: int) -> str:
    """A distinct mainland mobile number per profile (139 + 8 digits)."""
    return f"139{pid:08d}"


def expected(pids: Sequence[int]) -> set[tuple[str, str]]:
    return {("HASH_MOBILE_PHONE", md5(mobile(pid))) for pid in pids}


async def add_people(db: Database, secrets: SecretBox, count: int, tag: str = "vip") -> list[int]:
    """Profiles with a sealed phone identity, tagged ``tag``.

    Core executemany inserts with ids chosen here: an ORM insert RETURNING the ids goes
    row by row on SQLite, which would make set-up dominate a 100,000-person test.
    """
    now = datetime.now(UTC)
    async with db.transaction() as session:
        first = (await session.scalar(select(func.max(Profile.id)))) or 0
        ids = list(range(first + 1, first + 1 + count))
        for chunk in _chunks(ids, 20_000):
            await session.execute(
                insert(Profile.__table__),
                [
                    {
                        "id": p,
                        "traits": {},
                        "trait_updated_at": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                    for p in chunk
                ],
            )
            await session.execute(
                insert(Identity.__table__), [_phone(secrets, p, now) for p in chunk]
            )
            await session.execute(
                insert(ProfileTag.__table__),
                [{"tag": tag, "profile_id": p, "origin": "manual"} for p in chunk],
            )
    return ids


def _phone(secrets: SecretBox, pid: int, now: datetime) -> dict[str, Any]:
    raw = f"+86{mobile(pid)}"
    digest = sha256_hex(raw)
    return {
        "profile_id": pid,
        "type": "phone",
        "scope": "",
        "value": digest,
        "hashed": True,
        "value_encrypted": secrets.seal({"value": raw}, context=f"identity:phone:{digest}"),
        "first_seen_at": now,
        "last_seen_at": now,
    }


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def plugins() -> Plugins:
    return load_plugins(
        builtins=(*BUILTINS, "junction.destinations.tencent_ads"), entry_points=False
    )


async def setup(
    db: Database, platform: FakeTencentAds, count: int, **sync: Any
) -> tuple[Any, list[int]]:
    registry, secrets = plugins(), box()
    people = await add_people(db, secrets, count)
    await make_segment(db)
    await compute(db)
    await Connections(db, registry, secrets).create(
        name="tencent", plugin="tencent_ads", config=VALID, actor=ACTOR
    )
    await make_push(db, registry, name=SYNC, connection="tencent", identifiers=("phone",), **sync)
    engine = make_engine(db, registry, secrets, {"tencent": platform.transport()})
    return engine, people


async def test_a_100k_audience_syncs_then_loses_exactly_the_removed(db: Database) -> None:
    platform = fake()
    engine, people = await setup(db, platform, 100_000)

    run = await run_sync(engine, SYNC)
    assert run.status == "succeeded", run.error
    assert (run.planned, run.sent, run.accepted, run.dead_lettered, run.failed) == (
        100_000,
        100_000,
        100_000,
        0,
        0,
    )
    assert_reconciles(run)
    audience = platform.audience_named("vips")
    assert platform.members(audience.audience_id) == expected(people)
    # One batch of 100,000: one zipped APPEND file of phones, processed before the ack.
    (upload,) = platform.files.values()
    assert (upload.user_id_type, upload.operation_type, upload.filename) == (
        "HASH_MOBILE_PHONE",
        "APPEND",
        "ids.zip",
    )
    assert upload.status == "SUCCESS" and len(upload.lines) == 100_000

    leaving = people[::97]  # 1,031 people, spread over the id range
    await untag(db, leaving)
    await compute(db)
    again = await run_sync(engine, SYNC)
    assert again.status == "succeeded", again.error
    assert (again.planned, again.accepted, again.dead_lettered) == (len(leaving), len(leaving), 0)
    assert_reconciles(again)
    staying = sorted(set(people) - set(leaving))
    assert platform.members(audience.audience_id) == expected(staying)
    reduce = max(platform.files.values(), key=lambda f: f.file_id)
    assert reduce.operation_type == "REDUCE" and len(reduce.lines) == len(leaving)
    assert len(platform.audiences) == 1  # the second run found the audience it made


async def test_a_run_survives_throttling_and_a_token_expiry(db: Database) -> None:
    platform = fake(processing_polls=3)
    waits = Waits()
    engine, people = await setup(db, platform, 3000, batch_size=1000)
    engine.policy = fast_policy(waits)
    upload = "custom_audience_files/add"
    platform.fail_next("http_429", path=upload)  # first batch throttled once
    platform.fail_next("rate_limit", path=upload)  # ... and hits the per-minute quota
    platform.fail_next("system_busy", path="custom_audience_files/get")  # a poll is busy

    # The token expires just before the second batch's upload (after two refused
    # attempts and the first batch's upload).
    platform.fail_next("expire_token", path=upload, skip=3)
    run = await run_sync(engine, SYNC)
    assert run.status == "succeeded", run.error
    assert (run.planned, run.accepted, run.failed, run.dead_lettered) == (3000, 3000, 0, 0)
    assert run.retries == 2
    assert_reconciles(run)
    assert platform.members(platform.audience_named("vips").audience_id) == expected(people)
    # The throttled calls were waited for as Tencent asked, and the token was refreshed.
    assert 2.0 in waits.seconds and 60.0 in waits.seconds
    assert platform.tokens_issued == 2, platform.refused
    assert [code for _, code, _ in platform.refused].count(11000) == 1
    assert len([f for f in platform.files.values() if f.status == "SUCCESS"]) == 3


async def test_a_file_tencent_cannot_process_dead_letters_its_members(db: Database) -> None:
    platform = fake(processing_polls=1)
    engine, people = await setup(db, platform, 20, batch_size=10)
    platform.fail_next("process_error")  # the first batch's file ends in ERROR
    run = await run_sync(engine, SYNC)
    assert run.status == "partial"
    assert (run.planned, run.accepted, run.dead_lettered) == (20, 10, 10)
    assert_reconciles(run)
    async with db.sessions() as session:
        letters = (await session.execute(select(SyncDeadLetter.reason, SyncDeadLetter.code))).all()
    assert len(letters) == 10 and {code for _, code in letters} == {"1001"}
    assert all("could not process file" in reason for reason, _ in letters)
    assert platform.members(platform.audience_named("vips").audience_id) == expected(people[10:])


async def test_an_expired_refresh_token_fails_the_run_clearly(db: Database) -> None:
    platform = fake()
    platform.refresh_expired = True
    engine, _ = await setup(db, platform, 5)
    run = await run_sync(engine, SYNC)
    assert run.status == "failed"
    assert "tencent refused the sync" in (run.error or "")
    assert "re-authorize" in (run.error or "") and "11012" in (run.error or "")
    assert VALID["refresh_token"] not in (run.error or "")
    assert run.failed == 5 and platform.files == {}
