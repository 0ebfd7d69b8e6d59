"""The resolver against real databases: profiles, merges, conflicts, PII, consent."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from junction.core.db import Database
from junction.core.db.tables import (
    Consent,
    Event,
    Identity,
    IdentityConflict,
    IdentityTombstone,
    Merge,
    Profile,
    SourceCounter,
)
from junction.core.identity import Resolution, Resolver
from junction.core.identity.store import open_identity_value
from junction.core.secrets import SecretBox, generate_key

from .helpers import add_events, event, make_source, partition


@pytest.fixture
def box(tmp_path: Path) -> SecretBox:
    return SecretBox.from_settings(generate_key(), tmp_path)


@pytest.fixture
def resolver(db: Database, box: SecretBox) -> Resolver:
    return Resolver(db, box, batch_size=50)


async def test_anonymous_then_identified_is_one_profile(db: Database, resolver: Resolver) -> None:
    source = await make_source(db)
    await add_events(
        db,
        source,
        [
            event(anonymous_id="anon-1"),
            event("identify", anonymous_id="anon-1", user_id="u-1", traits={"plan": "pro"}),
            event(user_id="u-1", minutes=5),
        ],
    )
    stats = await resolver.resolve_all()
    assert (stats.events, stats.resolved, stats.new_profiles) == (3, 3, 1)
    async with db.sessions() as session:
        profiles = (await session.scalars(select(Profile))).all()
        assigned = set((await session.scalars(select(Event.profile_id))).all())
    assert len(profiles) == 1
    assert assigned == {profiles[0].id}
    assert profiles[0].traits == {"plan": "pro"}


async def test_merge_is_recorded_with_its_evidence(db: Database, resolver: Resolver) -> None:
    source = await make_source(db)
    await add_events(db, source, [event(anonymous_id="web-a"), event(user_id="u-9")])
    await resolver.resolve_all()
    await add_events(
        db, source, [event("identify", anonymous_id="web-a", user_id="u-9", message_id="link")]
    )
    stats = await resolver.resolve_all()
    assert stats.merges == 1
    assert await partition(db) == {
        frozenset({("anonymous_id", "", "web-a"), ("user_id", "", "u-9")})
    }
    async with db.sessions() as session:
        merge = (await session.scalars(select(Merge))).one()
        merged = await session.get(Profile, merge.merged_id)
        events = set((await session.scalars(select(Event.profile_id))).all())
    assert merge.evidence["message_id"] == "link"
    assert {i["type"] for i in merge.evidence["survivor_identifiers"]} | {
        i["type"] for i in merge.evidence["merged_identifiers"]
    } == {"anonymous_id", "user_id"}
    assert merged is not None and merged.merged_into == merge.survivor_id
    assert events == {merge.survivor_id}


async def test_conflict_keeps_profiles_apart_and_is_recorded(
    db: Database, resolver: Resolver
) -> None:
    source = await make_source(db)
    await add_events(
        db,
        source,
        [
            event(user_id="alice", anonymous_id="shared-tablet"),
            event(user_id="bob", anonymous_id="shared-tablet", message_id="bob-on-tablet"),
        ],
    )
    stats = await resolver.resolve_all()
    assert stats.conflicts == 1
    assert await partition(db) == {
        frozenset({("user_id", "", "alice"), ("anonymous_id", "", "shared-tablet")}),
        frozenset({("user_id", "", "bob")}),
    }
    async with db.sessions() as session:
        conflict = (await session.scalars(select(IdentityConflict))).one()
    assert conflict.message_id == "bob-on-tablet"
    assert (conflict.type, conflict.value) == ("anonymous_id", "shared-tablet")
    assert "two user_id values" in conflict.reason


async def test_pii_is_matched_hashed_and_kept_encrypted(
    db: Database, resolver: Resolver, box: SecretBox
) -> None:
    source = await make_source(db)
    await add_events(
        db,
        source,
        [
            event(
                "identify", user_id="u1", traits={"phone": "138 0013 8000", "email": " Li@Ex.com"}
            ),
            event("identify", anonymous_id="a2", traits={"phone": "+86 138-0013-8000"}),
        ],
    )
    await resolver.resolve_all()
    async with db.sessions() as session:
        identities = {i.type: i for i in (await session.scalars(select(Identity))).all()}
    phone = identities["phone"]
    assert phone.hashed and phone.value == hashlib.sha256(b"+8613800138000").hexdigest()
    assert phone.value_encrypted and b"13800138000" not in phone.value_encrypted
    assert open_identity_value(box, "phone", phone.value, phone.value_encrypted) == "+8613800138000"
    assert identities["email"].value == hashlib.sha256(b"li@ex.com").hexdigest()
    assert len(await partition(db)) == 1  # the two phone spellings are one person


async def test_junk_identifiers_link_nobody(db: Database, resolver: Resolver) -> None:
    source = await make_source(db)
    await add_events(
        db,
        source,
        [event(user_id="null", anonymous_id="undefined"), event(user_id="0", anonymous_id="null")],
    )
    stats = await resolver.resolve_all()
    assert (stats.unresolvable, stats.new_profiles) == (2, 0)
    async with db.sessions() as session:
        states = set((await session.scalars(select(Event.resolution))).all())
    assert states == {Resolution.UNRESOLVABLE}


async def test_traits_last_write_wins_by_event_time(db: Database, resolver: Resolver) -> None:
    source = await make_source(db)
    await add_events(
        db,
        source,
        [
            event("identify", user_id="u", traits={"city": "Shanghai"}, minutes=10),
            event("identify", user_id="u", traits={"city": "Beijing", "age": 30}, minutes=1),
        ],
    )
    await resolver.resolve_all()
    async with db.sessions() as session:
        profile = (await session.scalars(select(Profile))).one()
    assert profile.traits == {"city": "Shanghai", "age": 30}


async def test_consent_is_recorded_and_withdrawal_kept_as_history(
    db: Database, resolver: Resolver
) -> None:
    source = await make_source(db)
    context = {"ip": "203.0.113.9", "userAgent": "UA/1", "consent": {"policyVersion": "v3"}}
    await add_events(
        db,
        source,
        [
            event("identify", user_id="u", traits={"consent": {"sms": True}}, context=context),
            event("identify", user_id="u", traits={"consent": {"sms": False}}, minutes=3),
        ],
    )
    await resolver.resolve_all()
    async with db.sessions() as session:
        rows = (await session.scalars(select(Consent).order_by(Consent.recorded_at))).all()
    assert [(r.purpose, r.status) for r in rows] == [("sms", "granted"), ("sms", "withdrawn")]
    assert (rows[0].ip, rows[0].user_agent, rows[0].policy_version) == ("203.0.113.9", "UA/1", "v3")


@pytest.mark.parametrize("policy", ["drop", "strip"])
async def test_source_policy_for_events_without_analytics_consent(
    db: Database, resolver: Resolver, policy: str
) -> None:
    source = await make_source(db, consent_policy=policy)
    granted = {"consent": {"categoryPreferences": {"Analytics": True}}}
    await add_events(
        db,
        source,
        [
            event(anonymous_id="yes", context=granted),
            event(anonymous_id="yes", minutes=1),  # same person, consent already given
            event(anonymous_id="no", context={"ip": "198.51.100.1"}),
        ],
    )
    stats = await resolver.resolve_all()
    assert stats.resolved == 2
    assert await partition(db) == {frozenset({("anonymous_id", "", "yes")})}
    async with db.sessions() as session:
        remaining = (await session.execute(select(Event.anonymous_id, Event.context))).all()
        counters = dict(
            (await session.execute(select(SourceCounter.name, SourceCounter.count))).all()
        )
    if policy == "drop":
        assert stats.dropped == 1 and len(remaining) == 2
        assert counters == {"dropped_no_consent": 1}
    else:
        assert stats.stripped == 1 and len(remaining) == 3
        assert (None, {}) in remaining
        assert counters == {"stripped_no_consent": 1}


async def test_tombstoned_identifiers_never_come_back(db: Database, resolver: Resolver) -> None:
    source = await make_source(db)
    async with db.transaction() as session:
        session.add(IdentityTombstone(type="user_id", scope="", value="erased-user"))
    await add_events(db, source, [event(user_id="erased-user")])
    stats = await resolver.resolve_all()
    assert (stats.unresolvable, stats.new_profiles) == (1, 0)


async def test_batches_larger_than_one_query_chunk(db: Database, box: SecretBox) -> None:
    source = await make_source(db)
    await add_events(
        db, source, [event(user_id=f"u{i % 700}", anonymous_id=f"a{i}") for i in range(2500)]
    )
    stats = await Resolver(db, box, batch_size=2500).resolve_all()
    assert stats.resolved == 2500
    async with db.sessions() as session:
        live = await session.scalar(
            select(func.count()).select_from(Profile).where(Profile.merged_into.is_(None))
        )
    assert live == 700


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_concurrent_workers_never_duplicate_a_profile(
    database_url: str, box: SecretBox, backend: str
) -> None:
    """Two workers (separate engines, as separate processes would have) share a queue."""
    setup = Database.open(database_url)
    source = await make_source(setup)
    # Every person shows up in many events spread over the whole queue, so the
    # workers' batches overlap on the same new identifiers all the time.
    events = [
        event(user_id=f"person-{i % 40}", anonymous_id=f"device-{i % 40}-{i % 3}")
        for i in range(1200)
    ]
    await add_events(setup, source, events)
    workers = [Database.open(database_url) for _ in range(2)]
    try:
        results = await asyncio.gather(
            *(Resolver(w, box, batch_size=30).resolve_all() for w in workers)
        )
        assert sum(r.events for r in results) == 1200
        assert all(r.events > 0 for r in results), "both workers should have taken batches"
        groups = await partition(setup)
        assert len(groups) == 40
        async with setup.sessions() as session:
            live = await session.scalar(
                select(func.count()).select_from(Profile).where(Profile.merged_into.is_(None))
            )
            pending = await session.scalar(
                select(func.count()).select_from(Event).where(Event.resolution == 0)
            )
        assert (live, pending) == (40, 0)
    finally:
        for database in (*workers, setup):
            await database.close()


async def test_orders_join_the_profile_of_their_customer(db: Database, resolver: Resolver) -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    from junction.core.db.tables import Order

    source = await make_source(db)
    await add_events(
        db, source, [event("identify", user_id="u-5", traits={"phone": "13800138000"})]
    )
    async with db.transaction() as session:
        for number, identifiers in (
            ("A-1", [{"type": "phone", "value": "+86 138 0013 8000", "scope": ""}]),
            ("A-2", [{"type": "user_id", "value": "u-6", "scope": ""}]),
            ("A-3", [{"type": "phone", "value": "null", "scope": ""}]),
        ):
            session.add(
                Order(
                    source_id=source,
                    order_id=number,
                    status="paid",
                    amount=Decimal("99.50"),
                    currency="CNY",
                    identifiers=identifiers,
                    created_at=datetime(2026, 3, 1, tzinfo=UTC),
                    updated_at=datetime(2026, 3, 1, tzinfo=UTC),
                )
            )
    stats = await resolver.resolve_all()
    assert stats.orders == 3
    async with db.sessions() as session:
        orders = {o.order_id: o for o in (await session.scalars(select(Order))).all()}
        event_profile = await session.scalar(select(Event.profile_id))
    assert orders["A-1"].profile_id == event_profile
    assert orders["A-2"].profile_id not in (None, event_profile)
    assert (orders["A-3"].profile_id, orders["A-3"].resolution) == (None, 2)
