"""Loading one profile's :class:`ProfileData` for the in-memory evaluator."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import (
    ComputedTraitValue,
    Consent,
    Event,
    Order,
    Profile,
    ProfileTag,
)
from junction.core.errors import NotFoundError
from junction.core.segments.evaluate import ProfileData
from junction.core.traits.records import ConsentRecord, EventRecord, OrderRecord
from junction.core.traits.values import TypedValue

__all__ = ["load_profile_data"]


async def load_profile_data(
    session: AsyncSession,
    profile_id: int,
    *,
    event_names: set[str] | None = None,
    events_since: datetime | None = None,
) -> ProfileData:
    """Read what definitions can see of one profile.

    Args:
        session: An open session.
        profile_id: The profile.
        event_names: Load only these events (None: all); a real-time check passes the
            names its definition reads.
        events_since: Load only events at or after this time.

    Raises:
        NotFoundError: no such profile.
    """
    traits = await session.scalar(select(Profile.traits).where(Profile.id == profile_id))
    if traits is None:
        raise NotFoundError(f"no profile {profile_id}")
    tag_query = select(ProfileTag.tag).where(ProfileTag.profile_id == profile_id)
    tags = set(await session.scalars(tag_query))
    consents = [
        ConsentRecord(id=r.id, purpose=r.purpose, status=r.status, recorded_at=r.recorded_at)
        for r in await session.execute(
            select(Consent.id, Consent.purpose, Consent.status, Consent.recorded_at).where(
                Consent.profile_id == profile_id
            )
        )
    ]
    query = select(Event.id, Event.name, Event.timestamp, Event.properties).where(
        Event.profile_id == profile_id
    )
    if event_names is not None:
        query = query.where(Event.name.in_(sorted(event_names)))
    if events_since is not None:
        query = query.where(Event.timestamp >= events_since)
    events = [
        EventRecord(id=r.id, name=r.name, timestamp=r.timestamp, properties=r.properties or {})
        for r in await session.execute(query)
    ]
    orders = [
        OrderRecord(status=r.status, amount=r.amount, created_at=r.created_at)
        for r in await session.execute(
            select(Order.status, Order.amount, Order.created_at).where(
                Order.profile_id == profile_id
            )
        )
    ]
    computed = await _computed(session, profile_id)
    return ProfileData(
        profile_id=profile_id,
        traits=traits,
        tags=tags,
        consents=consents,
        events=events,
        orders=orders,
        computed=computed,
    )


async def _computed(session: AsyncSession, profile_id: int) -> dict[str, TypedValue]:
    table = ComputedTraitValue.__table__
    rows = await session.execute(select(table).where(table.c.profile_id == profile_id))
    return {
        r.name: TypedValue(r.kind, r.text_value, r.number_value, r.time_value, r.bool_value)
        for r in rows
    }
