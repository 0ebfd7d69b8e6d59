"""The ``meta`` destination through the real SyncEngine: a 100,000-member audience in one
run, the diff of the next run, replace mode, rate limits, an expired token, and the
minimum-size guard, with exact counts and exact membership on the fake."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Identity, Profile, ProfileTag
from junction.core.pii import sha256_hex
from junction.core.secrets import SecretBox
from junction.core.sync import SyncEngine, get_run
from junction.plugins.manager import Plugins, load_plugins

from ...core.sync.world import (
    ACTOR,
    BUILTINS,
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
    run_sync,
    untag,
)
from ...fakes.meta import FakeMeta
from .helpers import VALID, fake

SYNC = "vips-to-meta"


def plugins() -> Plugins:
    return load_plugins(builtins=(*BUILTINS, "junction.destinations.meta"), entry_points=False)


def emails(pids: Sequence[int]) -> set[tuple[str, str]]:
    return {("EMAIL", sha256_hex(email_of(pid))) for pid in pids}


async def add_many_people(db: Database, secrets: SecretBox, count: int) -> list[int]:
    """``world.add_people`` (sealed e-mail identities, tagged vip) for large counts.

    Inserting profiles without RETURNING and reading the new ids back costs a third
    of the CPU of ``insert().returning()`` over 100,000 rows.
    """
    now = datetime.now(UTC)
    async with db.transaction() as session:
        before = (await session.execute(select(func.max(Profile.id)))).scalar() or 0
        blank = {"traits": {}, "trait_updated_at": {}, "created_at": now, "updated_at": now}
        await session.execute(insert(Profile), [blank] * count)
        ids = list(
            (
                await session.execute(
                    select(Profile.id).where(Profile.id > before).order_by(Profile.id)
                )
            ).scalars()
        )
        rows = []
        for pid in ids:
            raw = email_of(pid)
            digest = sha256_hex(raw)
            sealed = secrets.seal({"value": raw}, context=f"identity:email:{digest}")
            rows.append(
                {
                    "profile_id": pid,
                    "type": "email",
                    "scope": "",
                    "value": digest,
                    "hashed": True,
                    "value_encrypted": sealed,
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
            )
        await session.execute(insert(Identity), rows)
        await session.execute(
            insert(ProfileTag), [{"tag": "vip", "profile_id": p, "origin": "manual"} for p in ids]
        )
    assert len(ids) == count
    return ids


async def setup(
    db: Database, meta: FakeMeta, count: int, *, waits: Waits | None = None, **sync: object
) -> tuple[SyncEngine, list[int]]:
    registry, secrets = plugins(), box()
    people = await (add_many_people if count > 10_000 else add_people)(db, secrets, count)
    await make_segment(db)
    await compute(db)
    await Connections(db, registry, secrets).create(
        name="meta", plugin="meta", config=VALID, actor=ACTOR
    )
    await make_push(db, registry, name=SYNC, connection="meta", **sync)  # type: ignore[arg-type]
    engine = make_engine(
        db, registry, secrets, {"meta": meta.transport()}, policy=fast_policy(waits)
    )
    return engine, people


def uploads(meta: FakeMeta, method: str = "POST") -> int:
    return sum(1 for m, path, _ in meta.requests if m == method and path.endswith("/users"))


async def test_a_100k_audience_syncs_in_one_run_then_the_diff(db: Database) -> None:
    # 35 to 60 s on either database on a busy 2-core machine, most of it spent
    # building the 100,000 people; the sync itself is 10 requests of 10,000 rows.
    meta = fake()
    engine, people = await setup(db, meta, 100_000)
    run = await run_sync(engine, SYNC)
    assert run.status == "succeeded", run.error
    assert (run.planned, run.sent, run.accepted) == (100_000, 100_000, 100_000)
    assert (run.rejected, run.dead_lettered, run.failed, run.unknown) == (0, 0, 0, 0)
    assert_reconciles(run)
    assert meta.members("vips") == emails(people)
    assert uploads(meta) == 10  # 10,000 rows per request, one session each
    assert run.details["platform"] == {"received": 100_000, "invalid": 0}
    detail = await get_run(db, run.id)
    assert [b.size for b in detail.batches] == [10_000] * 10

    leavers = people[::37]
    await untag(db, leavers)
    await compute(db)
    second = await run_sync(engine, SYNC)
    assert second.status == "succeeded", second.error
    assert (second.planned, second.sent, second.accepted) == (len(leavers),) * 3
    assert_reconciles(second)
    assert meta.members("vips") == emails(sorted(set(people) - set(leavers)))
    assert uploads(meta, "DELETE") == 1


async def test_entries_meta_refuses_are_dead_lettered_with_exact_counts(db: Database) -> None:
    meta = fake()
    meta.fail("partial")  # the first upload: every tenth row invalid
    engine, people = await setup(db, meta, 1_000, batch_size=500)
    run = await run_sync(engine, SYNC)
    assert run.status == "partial"
    assert (run.planned, run.accepted, run.rejected, run.dead_lettered) == (1_000, 950, 50, 50)
    assert_reconciles(run)
    assert run.details["platform"] == {"received": 1_000, "invalid": 50}
    refused = set(people[:500:10])
    assert meta.members("vips") == emails([p for p in people if p not in refused])


async def test_match_counts_reach_the_run_when_waiting_for_matching(db: Database) -> None:
    meta = fake(processing_polls=2)
    engine, people = await setup(db, meta, 400, batch_size=100)
    meta.know(emails=[email_of(pid) for pid in people[:250]])  # Meta knows 250 of them
    await Connections(db, engine.plugins, engine.box).update(
        "meta", config={**VALID, "wait_for_matching": True}, actor=ACTOR
    )
    run = await run_sync(engine, SYNC)
    assert run.status == "succeeded", run.error
    assert (run.planned, run.accepted) == (400, 400)
    assert run.details["platform"] == {"received": 400, "invalid": 0, "matched": 250}
    assert meta.members("vips") == emails(people)


async def test_replace_mode_swaps_the_whole_audience_in_one_session(db: Database) -> None:
    meta = fake()
    engine, people = await setup(db, meta, 300, mode="replace", batch_size=100)
    run = await run_sync(engine, SYNC)
    assert run.status == "succeeded", run.error
    assert (run.planned, run.accepted) == (300, 300)
    assert meta.members("vips") == emails(people)
    sessions = {params["session"] for _, path, params in meta.requests if "usersreplace" in path}
    assert len(sessions) == 3  # three batches of one session
    await untag(db, people[:50])
    await compute(db)
    again = await run_sync(engine, SYNC)
    assert again.status == "succeeded", again.error
    assert meta.members("vips") == emails(people[50:])


async def test_a_run_waits_out_rate_limits_as_long_as_meta_asks(db: Database) -> None:
    meta, waits = fake(), Waits()
    meta.fail("rate_limit", skip=1)
    meta.fail("http_429", skip=3)
    engine, people = await setup(db, meta, 2_500, batch_size=500, waits=waits)
    run = await run_sync(engine, SYNC)
    assert run.status == "succeeded", run.error
    assert (run.planned, run.accepted, run.failed) == (2_500, 2_500, 0)
    assert run.retries == 2
    assert 120.0 in waits.seconds  # X-Business-Use-Case-Usage: 2 minutes to regain access
    assert meta.injected == {"rate_limit": 1, "http_429": 1}
    assert meta.members("vips") == emails(people)


async def test_an_expired_token_stops_the_run_and_the_next_run_finishes(db: Database) -> None:
    meta = fake()
    meta.fail("token_expired", skip=3)
    engine, people = await setup(db, meta, 2_500, batch_size=500)
    run = await run_sync(engine, SYNC)
    assert run.status == "failed"
    assert run.error and "190/463" in run.error and "update the connection" in run.error
    assert VALID["access_token"] not in run.error
    assert (run.planned, run.accepted, run.failed) == (2_500, 1_500, 1_000)
    assert_reconciles(run)
    assert len(meta.members("vips")) == 1_500

    # The operator issues a new token and updates the connection: nothing was lost.
    fresh = "EAAJunctionFreshToken9876543210"
    meta.issue_token(fresh)
    await Connections(db, engine.plugins, engine.box).update(
        "meta", config={**VALID, "access_token": fresh}, actor=ACTOR
    )
    second = await run_sync(engine, SYNC)
    assert second.status == "succeeded", second.error
    assert (second.planned, second.accepted) == (1_000, 1_000)
    assert meta.members("vips") == emails(people)


async def test_removals_from_a_small_audience_degrade_to_add_only(db: Database) -> None:
    meta = fake()
    engine, people = await setup(db, meta, 120)
    await run_sync(engine, SYNC)
    await untag(db, people[:30])
    newcomers = await add_people(db, engine.box, 5)
    await compute(db)
    run = await run_sync(engine, SYNC)
    # Meta reports 120; removing 30 would leave 90, under the minimum of 100: the
    # removals are held (failed, not dead-lettered) and the adds still go out.
    assert run.status == "partial"
    assert (run.planned, run.accepted, run.failed, run.dead_lettered) == (35, 5, 30, 0)
    assert_reconciles(run)
    assert meta.members("vips") == emails(people + newcomers)
    assert uploads(meta, "DELETE") == 0
    assert any("removals held" in w for w in run.details.get("warnings", []))
    # Once Meta reports the audience grown, a later run removes them.
    later = await add_people(db, engine.box, 40)
    await compute(db)
    grown = await run_sync(engine, SYNC)  # judged at 125 members: held again, adds 40
    assert (grown.status, grown.accepted, grown.failed) == ("partial", 40, 30)
    last = await run_sync(engine, SYNC)  # judged at 165: 135 stay
    assert last.status == "succeeded", last.error
    assert (last.planned, last.accepted) == (30, 30)
    assert meta.members("vips") == emails(people[30:] + newcomers + later)
