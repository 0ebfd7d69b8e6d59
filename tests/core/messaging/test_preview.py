"""Previewing a message for a stored profile: its traits, merged profiles, missing ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from junction.core.db import Database
from junction.core.db.tables import Profile
from junction.core.errors import NotFoundError
from junction.core.messaging import MessageTemplate, PreviewRequest, TemplateError, preview_message

NOW = datetime(2026, 11, 22, tzinfo=UTC)
TEMPLATE = MessageTemplate(subject="Hi {{ traits.name }}", params={"id": "{{ profile.id }}"})


async def profile(db: Database, traits: dict[str, object], merged_into: int | None = None) -> int:
    async with db.transaction() as session:
        row = {"traits": traits, "trait_updated_at": {}, "created_at": NOW, "updated_at": NOW}
        result = await session.execute(
            insert(Profile).values(**row, merged_into=merged_into).returning(Profile.id)
        )
        return int(result.scalar_one())


async def test_renders_with_the_profiles_traits(db: Database) -> None:
    pid = await profile(db, {"name": "Lei"})
    rendered = await preview_message(db, PreviewRequest(template=TEMPLATE, profile_id=pid))
    assert (rendered.subject, rendered.params) == ("Hi Lei", {"id": str(pid)})


async def test_a_trait_the_profile_lacks_is_reported(db: Database) -> None:
    pid = await profile(db, {"city": "Hangzhou"})
    with pytest.raises(TemplateError, match=r"subject: traits\.name"):
        await preview_message(db, PreviewRequest(template=TEMPLATE, profile_id=pid))


async def test_sample_traits_need_no_profile(db: Database) -> None:
    rendered = await preview_message(db, PreviewRequest(template=TEMPLATE, traits={"name": "A"}))
    assert rendered.subject == "Hi A"


async def test_unknown_and_merged_profiles_are_refused(db: Database) -> None:
    survivor = await profile(db, {"name": "Lei"})
    merged = await profile(db, {}, merged_into=survivor)
    with pytest.raises(NotFoundError, match=f"merged into {survivor}"):
        await preview_message(db, PreviewRequest(template=TEMPLATE, profile_id=merged))
    with pytest.raises(NotFoundError, match="no profile 999999"):
        await preview_message(db, PreviewRequest(template=TEMPLATE, profile_id=999999))
