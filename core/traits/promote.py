"""Promotion: JSON traits and declared event properties copied into typed columns.

Segments never read JSON paths (see docs/segments.md), so what they filter on is kept
in ``profile_traits`` and ``event_properties``, read by :func:`read_value` exactly as
the in-memory evaluator reads the JSON. Work goes in chunks, each its own short
transaction, so a full promotion never holds SQLite's write lock for long.

Incremental runs start from a watermark minus a margin: a transaction that started
before the last run but committed after it is picked up by the next one. Rows are
replaced per chunk (delete, then insert), so reading something twice is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db import Database
from junction.core.db.tables import (
    Event,
    EventProperty,
    EventPropertyDefinition,
    Profile,
    ProfileTrait,
    TraitDefinition,
    TraitWatermark,
)
from junction.core.db.types import utcnow
from junction.core.traits.upsert import insert_rows
from junction.core.traits.values import TraitType, TypedValue, read_value

__all__ = [
    "analyze",
    "declared_properties",
    "promote_event_properties",
    "promote_profile_traits",
    "typed_row",
]

PROFILE_CHUNK: Final = 2000
EVENT_CHUNK: Final = 5000
#: How late a profile update may commit after it was stamped and still be promoted.
PROFILE_MARGIN: Final = timedelta(minutes=10)
#: How many event ids before the watermark are read again, for the same reason.
EVENT_ID_MARGIN: Final = 10_000
_PROFILES = "profile_traits"
_EVENTS = "event_properties"


async def analyze(db: Database, table: str) -> None:
    """Refresh PostgreSQL's statistics of a table that was just rewritten in bulk.

    Autovacuum gets there eventually; until it does, the planner takes a freshly filled
    table for empty and can pick a plan that is thousands of times slower.
    """
    if db.dialect == "postgresql":
        async with db.sessions() as session:
            await session.execute(text(f"ANALYZE {table}"))
            await session.commit()


def typed_row(value: TypedValue) -> dict[str, Any]:
    """The typed columns of a promoted row."""
    return {
        "text_value": value.text,
        "number_value": value.number,
        "time_value": value.time,
        "bool_value": value.flag,
    }


async def promote_profile_traits(db: Database, *, full: bool = False) -> int:
    """Bring ``profile_traits`` up to date with ``profiles.traits``.

    Args:
        db: The database.
        full: Re-read every profile; otherwise only those updated since the last run.

    Returns:
        How many profiles were read.
    """
    started = utcnow()
    async with db.sessions() as session:
        declared = await _declared_traits(session)
        since = None if full else await _watermark_time(session, _PROFILES)
    read, after = 0, 0
    while True:
        async with db.transaction() as session:
            query = select(Profile.id, Profile.traits, Profile.merged_into, Profile.erased_at)
            query = query.where(Profile.id > after).order_by(Profile.id).limit(PROFILE_CHUNK)
            if since is not None:
                query = query.where(Profile.updated_at >= since - PROFILE_MARGIN)
            rows = (await session.execute(query)).all()
            if not rows:
                break
            ids = [row.id for row in rows]
            await session.execute(delete(ProfileTrait).where(ProfileTrait.profile_id.in_(ids)))
            values = [
                {"profile_id": row.id, "name": name, "kind": typed.kind, **typed_row(typed)}
                for row in rows
                if row.merged_into is None and row.erased_at is None
                for name, typed in _read_traits(row.traits or {}, declared)
            ]
            if values:
                await insert_rows(session, ProfileTrait.__table__, values)
            read, after = read + len(rows), ids[-1]
    async with db.transaction() as session:
        await _set_watermark(session, _PROFILES, at=started)
    if full:
        await analyze(db, ProfileTrait.__tablename__)
    return read


def _read_traits(
    traits: dict[str, Any], declared: dict[str, TraitType]
) -> Iterable[tuple[str, TypedValue]]:
    for name, raw in traits.items():
        if len(name) > 100:
            continue  # longer than any name a definition may use
        typed = read_value(raw, declared.get(name))
        if typed is not None:
            yield name, typed


async def promote_event_properties(
    db: Database, *, full: bool = False, events: Iterable[str] | None = None
) -> int:
    """Bring ``event_properties`` up to date for the declared event properties.

    Args:
        db: The database.
        full: Read every event of the declared names; otherwise only new ones.
        events: Limit a full run to these event names (after declaring a property).

    Returns:
        How many events were read.
    """
    async with db.sessions() as session:
        declared = await declared_properties(session)
        start = 0 if full else await _watermark_position(session, _EVENTS)
    names = sorted(set(declared) & set(events) if events is not None else declared)
    if not names:
        return 0
    after, read, newest = max(start - EVENT_ID_MARGIN, 0), 0, start
    while True:
        async with db.transaction() as session:
            query = (
                select(Event.id, Event.name, Event.properties)
                .where(Event.id > after, Event.name.in_(names))
                .order_by(Event.id)
                .limit(EVENT_CHUNK)
            )
            rows = (await session.execute(query)).all()
            if not rows:
                break
            ids = [row.id for row in rows]
            await session.execute(delete(EventProperty).where(EventProperty.event_id.in_(ids)))
            values = [
                {"event_id": row.id, "name": prop, **typed_row(typed)}
                for row in rows
                for prop, kind in declared[row.name].items()
                if (typed := read_value((row.properties or {}).get(prop), kind)) is not None
            ]
            if values:
                await insert_rows(session, EventProperty.__table__, values)
            read, after, newest = read + len(rows), ids[-1], max(newest, ids[-1])
    if full:
        await analyze(db, EventProperty.__tablename__)
    if events is None:
        async with db.transaction() as session:
            top = await session.scalar(select(func.max(Event.id)))
            await _set_watermark(session, _EVENTS, position=max(newest, top or 0))
    return read


async def declared_properties(session: AsyncSession) -> dict[str, dict[str, TraitType]]:
    """Declared event properties: event name → property → type."""
    declared: dict[str, dict[str, TraitType]] = {}
    rows = await session.execute(
        select(
            EventPropertyDefinition.event,
            EventPropertyDefinition.property,
            EventPropertyDefinition.type,
        )
    )
    for event, prop, kind in rows:
        declared.setdefault(event, {})[prop] = TraitType(kind)
    return declared


async def _declared_traits(session: AsyncSession) -> dict[str, TraitType]:
    rows = await session.execute(select(TraitDefinition.name, TraitDefinition.type))
    return {name: TraitType(kind) for name, kind in rows}


async def _watermark_time(session: AsyncSession, name: str) -> datetime | None:
    return await session.scalar(select(TraitWatermark.at).where(TraitWatermark.name == name))


async def _watermark_position(session: AsyncSession, name: str) -> int:
    position = await session.scalar(
        select(TraitWatermark.position).where(TraitWatermark.name == name)
    )
    return int(position or 0)


async def _set_watermark(
    session: AsyncSession, name: str, *, at: datetime | None = None, position: int = 0
) -> None:
    # Write first (see core.db.engine: a deferred SQLite transaction must not read first).
    done = await session.execute(
        update(TraitWatermark).where(TraitWatermark.name == name).values(at=at, position=position)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        await session.execute(insert(TraitWatermark).values(name=name, at=at, position=position))
