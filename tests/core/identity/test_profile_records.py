"""Profile records from sources: set-once traits, unset traits and tags reach the profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from junction.core.db import Database
from junction.core.db.tables import Profile, ProfileTag
from junction.core.identity import Resolver
from junction.core.ingest import HubIngest
from junction.core.model import Identifier, IdentifierType
from junction.core.secrets import SecretBox, generate_key
from junction.plugins import ProfileRecord
from junction.plugins.receiver import SourceRef

from .helpers import make_source

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def person(user_id: str, minutes: int, **fields: object) -> ProfileRecord:
    return ProfileRecord(
        identifiers=(Identifier.of(IdentifierType.USER_ID, user_id),),
        observed_at=T0 + timedelta(minutes=minutes),
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def box(tmp_path: Path) -> SecretBox:
    return SecretBox.from_settings(generate_key(), tmp_path)


async def store(
    db: Database, box: SecretBox, records: list[ProfileRecord], source: str = "web"
) -> None:
    source_id = await make_source(db, source)
    intake = HubIngest(db)
    await intake.start()
    try:
        await intake.write_records(SourceRef(id=source_id, name="web", plugin="http"), records)
    finally:
        await intake.stop()
    await Resolver(db, box).resolve_all()


async def profile_of(db: Database) -> tuple[dict[str, object], set[tuple[str, str]]]:
    async with db.sessions() as session:
        profile = (await session.scalars(select(Profile))).one()
        tags = {(t.tag, t.origin) for t in (await session.scalars(select(ProfileTag))).all()}
    return profile.traits, tags


async def test_set_once_keeps_the_first_value(db: Database, box: SecretBox) -> None:
    await store(
        db,
        box,
        [
            person("u1", 0, traits={"plan": "free"}, traits_once={"first_channel": "wechat"}),
            person("u1", 5, traits_once={"first_channel": "app", "plan": "pro"}),
        ],
    )
    traits, _ = await profile_of(db)
    assert traits == {"plan": "free", "first_channel": "wechat"}


async def test_unset_removes_only_older_writes(db: Database, box: SecretBox) -> None:
    await store(
        db,
        box,
        [
            person("u1", 0, traits={"coupon": "A1", "city": "Hangzhou"}),
            person("u1", 5, unset=("coupon", "city")),
            person("u1", 9, traits={"city": "Suzhou"}),
        ],
    )
    traits, _ = await profile_of(db)
    assert traits == {"city": "Suzhou"}


async def test_source_tags_land_on_the_profile(db: Database, box: SecretBox) -> None:
    await store(
        db,
        box,
        [person("u1", 0, tags=("star_follower",)), person("u1", 1, tags=("vip", "star_follower"))],
    )
    _, tags = await profile_of(db)
    assert tags == {("star_follower", "source"), ("vip", "source")}


async def test_a_merge_moves_the_merged_profiles_tags(db: Database, box: SecretBox) -> None:
    anon = Identifier.of(IdentifierType.ANONYMOUS_ID, "device-7")
    await store(
        db,
        box,
        [
            person("u1", 0, tags=("vip",)),
            ProfileRecord(identifiers=(anon,), observed_at=T0, tags=("app_user", "vip")),
        ],
    )
    # A later record names both identifiers: the two profiles are one person.
    both = ProfileRecord(
        identifiers=(Identifier.of(IdentifierType.USER_ID, "u1"), anon), observed_at=T0
    )
    await store(db, box, [both], source="crm")
    async with db.sessions() as session:
        live = (await session.scalars(select(Profile).where(Profile.merged_into.is_(None)))).one()
        tags = {(t.tag, t.profile_id) for t in (await session.scalars(select(ProfileTag))).all()}
    assert tags == {("vip", live.id), ("app_user", live.id)}
