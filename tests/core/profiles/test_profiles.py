"""Profiles: lookup by any identifier, masked reads, merge history, erasure."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from junction.core import audit
from junction.core.db import Database
from junction.core.db.tables import (
    AuditEntry,
    Event,
    Identity,
    IdentityTombstone,
    Profile,
    ProfileTrait,
)
from junction.core.errors import NotFoundError
from junction.core.identity import Resolver
from junction.core.profiles import Profiles, erase_profile
from junction.core.secrets import SecretBox, generate_key
from junction.core.traits import recompute_traits

from ..identity.helpers import add_events, event, make_source


@pytest.fixture
def box(tmp_path: Path) -> SecretBox:
    return SecretBox.from_settings(generate_key(), tmp_path)


@pytest.fixture
async def person(db: Database, box: SecretBox) -> int:
    """One person seen anonymously, then identified with phone, e-mail and consent."""
    source = await make_source(db)
    await add_events(
        db,
        source,
        [
            event(anonymous_id="anon-7", message_id="first-visit"),
            event(user_id="u-7", message_id="login"),
            event(
                "identify",
                user_id="u-7",
                anonymous_id="anon-7",
                message_id="linking-identify",
                traits={
                    "phone": "13812345678",
                    "email": "John.Doe@Example.com",
                    "name": "John",
                    "consent": {"email": True},
                },
                context={"ip": "203.0.113.5"},
            ),
        ],
    )
    await Resolver(db, box).resolve_all()
    return await Profiles(db, box).lookup("user_id", "u-7")


async def test_lookup_by_any_identifier_however_formatted(
    db: Database, box: SecretBox, person: int
) -> None:
    profiles = Profiles(db, box)
    assert await profiles.lookup("anonymous_id", "anon-7") == person
    assert await profiles.lookup("phone", "+86 138-1234-5678") == person
    assert await profiles.lookup("email", "  john.doe@EXAMPLE.com") == person
    with pytest.raises(NotFoundError):
        await profiles.lookup("phone", "13900000000")


async def test_pii_is_masked_unless_revealed(db: Database, box: SecretBox, person: int) -> None:
    masked = await Profiles(db, box).get(person)
    values = {i.type: i.value for i in masked.identities}
    assert values["phone"] == "138****5678"
    assert values["email"] == "j***@example.com"
    assert values["user_id"] == "u-7"
    revealed = await Profiles(db, box).get(person, reveal=True)
    assert {i.type: i.value for i in revealed.identities}["phone"] == "+8613812345678"


async def test_profile_says_why_records_are_one_person(
    db: Database, box: SecretBox, person: int
) -> None:
    view = await Profiles(db, box).get(person)
    (merge,) = view.merges
    assert merge.message_id == "linking-identify"
    assert {*merge.survivor_identifiers, *merge.merged_identifiers} >= {"user_id", "anonymous_id"}
    assert view.traits["name"] == "John"
    assert view.consent == {"email": "granted"}
    assert view.consent_history[0].ip == "203.0.113.5"
    assert {e.message_id for e in view.recent_events} == {
        "first-visit",
        "login",
        "linking-identify",
    }
    linked_by = {i.type: i.message_id for i in view.identities}
    assert linked_by["anonymous_id"] == "first-visit"
    assert linked_by["phone"] == "linking-identify"


async def test_a_merged_profile_id_answers_with_the_survivor(
    db: Database, box: SecretBox, person: int
) -> None:
    source = await make_source(db, name="crm")
    await add_events(db, source, [event(user_id="u-8"), event(anonymous_id="anon-8")])
    await Resolver(db, box).resolve_all()
    await add_events(db, source, [event(user_id="u-8", anonymous_id="anon-8", message_id="j")])
    await Resolver(db, box).resolve_all()
    survivor = await Profiles(db, box).lookup("user_id", "u-8")
    view = await Profiles(db, box).get(survivor)
    (merge,) = [m for m in view.merges if m.message_id == "j"]
    assert merge.merged_id is not None
    assert (await Profiles(db, box).get(merge.merged_id)).id == survivor
    assert view.merged_profiles == [merge.merged_id]


async def test_erasure_deletes_pii_and_tombstones_identifiers(
    db: Database, box: SecretBox, person: int
) -> None:
    await recompute_traits(db)  # traits copied for segments must go with the person
    async with db.sessions() as session:
        promoted = select(func.count()).select_from(ProfileTrait)
        assert await session.scalar(promoted.where(ProfileTrait.profile_id == person))
    report = await erase_profile(Profiles(db, box), person, actor="dpo")
    async with db.sessions() as session:
        assert await session.scalar(promoted) == 0
    assert report.identities_tombstoned == 4
    assert report.events_deleted == 3
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Identity)) == 0
        assert await session.scalar(select(func.count()).select_from(Event)) == 0
        assert await session.scalar(select(func.count()).select_from(IdentityTombstone)) == 4
        shell = await session.get(Profile, person)
        entry = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "profile.erase"))
        ).one()
    assert shell is not None and shell.traits == {} and shell.erased_at is not None
    assert entry.actor == "dpo" and entry.details["events_deleted"] == 3
    assert (await audit.verify(db)).ok

    # The same person comes back: their identifiers are never linked again.
    source = await make_source(db, name="app")
    await add_events(db, source, [event(user_id="u-7", anonymous_id="anon-7")])
    stats = await Resolver(db, box).resolve_all()
    assert (stats.unresolvable, stats.new_profiles) == (1, 0)
    with pytest.raises(NotFoundError):
        await Profiles(db, box).lookup("user_id", "u-7")
