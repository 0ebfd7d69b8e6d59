"""Manual tags: labels people put on profiles. Rule-based tags live in core.segments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from sqlalchemy import delete, select

from junction.core import audit
from junction.core.db import Database
from junction.core.db.tables import Profile, ProfileTag
from junction.core.db.types import utcnow
from junction.core.errors import NotFoundError
from junction.core.model import ModelError
from junction.core.traits.upsert import insert_ignore

__all__ = ["MANUAL", "RULE", "add_tag", "remove_tag"]

MANUAL: Final = "manual"
RULE: Final = "rule"


def _check_tag(tag: str) -> None:
    if not tag or len(tag) > 100 or tag != tag.strip():
        raise ModelError("a tag has 1 to 100 characters, without surrounding spaces", "$.tag")


async def add_tag(db: Database, tag: str, profile_ids: Iterable[int], *, actor: str) -> int:
    """Tag profiles by hand. Profiles that already carry it are left as they are.

    Returns:
        How many profiles were asked for.

    Raises:
        ModelError: the tag is empty, too long or padded.
        NotFoundError: a profile does not exist.
    """
    _check_tag(tag)
    ids = sorted(set(profile_ids))
    async with db.transaction() as session:
        await audit.append(
            session, actor=actor, action="tag.add", target=tag, details={"profiles": len(ids)}
        )
        found = set(await session.scalars(select(Profile.id).where(Profile.id.in_(ids))))
        missing = [pid for pid in ids if pid not in found]
        if missing:
            raise NotFoundError(f"no profile {missing[0]}")
        now = utcnow()
        rows = [{"tag": tag, "profile_id": p, "origin": MANUAL, "created_at": now} for p in ids]
        await insert_ignore(session, ProfileTag.__table__, rows)
    return len(ids)


async def remove_tag(db: Database, tag: str, profile_ids: Iterable[int], *, actor: str) -> int:
    """Remove a manual tag. A rule that still matches keeps its own copy of the tag.

    Returns:
        How many manual tags were removed.
    """
    ids = sorted(set(profile_ids))
    async with db.transaction() as session:
        await audit.append(
            session, actor=actor, action="tag.remove", target=tag, details={"profiles": len(ids)}
        )
        result = await session.execute(
            delete(ProfileTag).where(
                ProfileTag.tag == tag,
                ProfileTag.origin == MANUAL,
                ProfileTag.profile_id.in_(ids),
            )
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
