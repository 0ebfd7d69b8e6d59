"""Build sources and pending events straight in the database, as ingestion leaves them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from junction.core.db import Database
from junction.core.db.tables import Connection, Event, Identity, Profile

BASE = datetime(2026, 3, 1, tzinfo=UTC)
_ids = itertools.count(1)


async def make_source(db: Database, name: str = "web", consent_policy: str = "keep") -> int:
    async with db.transaction() as session:
        row = Connection(
            name=name, plugin="http", kind="source", config={}, consent_policy=consent_policy
        )
        session.add(row)
        await session.flush()
        return row.id


def event(
    type: str = "track",
    *,
    user_id: str | None = None,
    anonymous_id: str | None = None,
    name: str | None = "Viewed",
    traits: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    minutes: int = 0,
    message_id: str | None = None,
    previous_id: str | None = None,
) -> dict[str, Any]:
    at = BASE + timedelta(minutes=minutes)
    return {
        "message_id": message_id or f"msg-{next(_ids)}",
        "type": type,
        "name": name if type in ("track", "page", "screen") else None,
        "user_id": user_id,
        "anonymous_id": anonymous_id,
        "previous_id": previous_id,
        "traits": traits or {},
        "context": context or {},
        "properties": {},
        "timestamp": at,
        "received_at": at,
    }


async def add_events(db: Database, source_id: int, events: list[dict[str, Any]]) -> None:
    async with db.transaction() as session:
        await session.execute(insert(Event), [{**e, "source_id": source_id} for e in events])


async def partition(db: Database) -> set[frozenset[tuple[str, str, str]]]:
    """The identities grouped by live profile: what 'the same profiles' means."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(Identity.profile_id, Identity.type, Identity.scope, Identity.value)
        )
        groups: dict[int, set[tuple[str, str, str]]] = {}
        for pid, *key in rows:
            groups.setdefault(pid, set()).add(tuple(key))  # type: ignore[arg-type]
        live = set(
            (await session.scalars(select(Profile.id).where(Profile.merged_into.is_(None)))).all()
        )
    assert set(groups) <= live, "an identity points at a merged profile"
    return {frozenset(group) for group in groups.values()}
