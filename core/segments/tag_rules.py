"""Rule-based tags: a condition whose matching profiles carry a tag.

A rule is a segment condition (same DSL, same validation, same compiler); applying
the rules replaces each tag's ``rule`` rows with the rule's current members in one
INSERT ... SELECT. Manual copies of the same tag are never touched. A rule may not
read its own tag, directly or through a segment: it would flip on every run.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, literal, select

from junction.core import audit
from junction.core.db import Database
from junction.core.db.tables import ProfileTag, TagRule
from junction.core.db.types import utcnow
from junction.core.model import ModelError
from junction.core.segments.catalog import Catalog, load_catalog
from junction.core.segments.compile import member_query
from junction.core.segments.dsl import (
    Condition,
    TagCondition,
    decode_condition,
    encode_condition,
    walk,
)
from junction.core.segments.errors import DefinitionError
from junction.core.segments.validate import segment_refs, validate
from junction.core.traits.tags import RULE
from junction.core.traits.upsert import upsert

__all__ = ["apply_tag_rules", "set_tag_rule"]


def _reads_tag(condition: Condition, tag: str, catalog: Catalog, seen: set[str]) -> str | None:
    for path, node in walk(condition):
        if isinstance(node, TagCondition) and node.tag == tag:
            return path
    for path, name in segment_refs(condition):
        if name not in seen and name in catalog.segments:
            seen.add(name)
            if _reads_tag(catalog.segments[name], tag, catalog, seen) is not None:
                return path
    return None


async def set_tag_rule(db: Database, tag: str, condition: Condition, *, actor: str) -> None:
    """Create or replace the rule of ``tag``. Its members appear at the next apply.

    Raises:
        DefinitionError: the condition is invalid or reads ``tag`` itself.
    """
    if not tag or len(tag) > 100:
        raise DefinitionError("a tag has 1 to 100 characters", "$.tag")
    async with db.transaction() as session:
        raw = encode_condition(condition)
        await audit.append(
            session, actor=actor, action="tag_rule.set", target=tag, details={"condition": raw}
        )
        catalog = await load_catalog(session)
        try:
            validate(condition, catalog)
        except ModelError as exc:
            raise DefinitionError(exc.message, "$.condition" + exc.path.removeprefix("$")) from None
        path = _reads_tag(condition, tag, catalog, set())
        if path is not None:
            raise DefinitionError(
                f"the rule of tag `{tag}` reads that tag itself",
                "$.condition" + path.removeprefix("$"),
            )
        now = utcnow()
        await upsert(
            session,
            TagRule.__table__,
            {"tag": tag, "condition": raw, "created_at": now, "updated_at": now},
        )


async def apply_tag_rules(db: Database, *, now: datetime | None = None) -> dict[str, int]:
    """Recompute every rule-based tag. Returns how many profiles carry each."""
    now = now or utcnow()
    async with db.sessions() as session:
        rules = [
            (tag, decode_condition(raw))
            for tag, raw in await session.execute(
                select(TagRule.tag, TagRule.condition).order_by(TagRule.tag)
            )
        ]
    counts: dict[str, int] = {}
    tags = ProfileTag.__table__
    for tag, condition in rules:
        async with db.transaction() as session:
            await session.execute(delete(tags).where(tags.c.tag == tag, tags.c.origin == RULE))
            catalog = await load_catalog(session)
            validate(condition, catalog)
            members = member_query(condition, catalog, now).subquery()
            result = await session.execute(
                insert(tags).from_select(
                    ["tag", "profile_id", "origin", "created_at"],
                    select(
                        literal(tag),
                        members.c.id,
                        literal(RULE),
                        literal(now, tags.c.created_at.type),
                    ),
                )
            )
            counts[tag] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts
