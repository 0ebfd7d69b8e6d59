"""Event and order aggregates, computed set-based: one INSERT ... SELECT per trait.

A profile without any matching event or order gets no row: ``orders.count`` exists
only for buyers. To find people with none, use an ``order`` or ``event`` condition
with ``{"op": "eq", "value": 0}``, which counts the absent ones as zero.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Double, Select, cast, delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import ComputedTraitValue, Event, EventProperty, Order
from junction.core.traits.definitions import EventAggregate, OrderAggregate
from junction.core.traits.values import TraitType

__all__ = ["compute_event_aggregate", "compute_order_aggregate", "replace_values"]

_VALUE_COLUMN = {
    TraitType.TEXT: "text_value",
    TraitType.NUMBER: "number_value",
    TraitType.TIME: "time_value",
    TraitType.BOOL: "bool_value",
    TraitType.LIST: "text_value",
}


async def replace_values(
    session: AsyncSession, name: str, kind: TraitType, source: Select[Any]
) -> None:
    """Replace every value of computed trait ``name`` with ``source``'s rows.

    ``source`` selects ``(profile_id, value)``; the value lands in ``kind``'s column.
    """
    table = ComputedTraitValue.__table__
    await session.execute(delete(table).where(table.c.name == name))
    rows = source.subquery("computed")
    await session.execute(
        insert(table).from_select(
            ["profile_id", "name", "kind", _VALUE_COLUMN[kind]],
            select(rows.c.profile_id, literal(name), literal(kind.value), rows.c.value).where(
                rows.c.value.is_not(None)
            ),
        )
    )


async def compute_event_aggregate(
    session: AsyncSession, definition: EventAggregate, kind: TraitType, now: datetime
) -> None:
    """Compute one event aggregate for every profile; ``kind`` is its output type."""
    events = Event.__table__
    query = select(events.c.profile_id).where(
        events.c.profile_id.is_not(None), events.c.name == definition.event
    )
    if definition.within_days is not None:
        cutoff = now - timedelta(days=definition.within_days)
        query = query.where(events.c.timestamp >= cutoff, events.c.timestamp <= now)
    if definition.property is None:
        value: Any = {
            "count": cast(func.count(), Double),
            "last": func.max(events.c.timestamp),
        }[definition.function]
        source = query.add_columns(value.label("value")).group_by(events.c.profile_id)
        await replace_values(session, definition.name, kind, source)
        return
    prop = EventProperty.__table__
    query = query.join(
        prop, (prop.c.event_id == events.c.id) & (prop.c.name == definition.property)
    )
    column = prop.c[_VALUE_COLUMN[kind]]
    if definition.function == "last":
        # The newest event having the property; ties on time go to the later event.
        rank = func.row_number().over(
            partition_by=events.c.profile_id,
            order_by=(events.c.timestamp.desc(), events.c.id.desc()),
        )
        ranked = query.add_columns(column.label("value"), rank.label("rank")).subquery("ranked")
        source = select(ranked.c.profile_id, ranked.c.value).where(ranked.c.rank == 1)
        await replace_values(session, definition.name, kind, source)
        return
    value = {
        "count": cast(func.count(), Double),
        "sum": func.sum(column),
        "min": func.min(column),
        "max": func.max(column),
    }[definition.function]
    source = query.add_columns(value.label("value")).group_by(events.c.profile_id)
    await replace_values(session, definition.name, kind, source)


async def compute_order_aggregate(
    session: AsyncSession, definition: OrderAggregate, now: datetime
) -> None:
    """Compute one order aggregate for every profile."""
    orders = Order.__table__
    query = select(orders.c.profile_id).where(orders.c.profile_id.is_not(None))
    if definition.statuses:
        query = query.where(orders.c.status.in_([str(s) for s in definition.statuses]))
    if definition.within_days is not None:
        cutoff = now - timedelta(days=definition.within_days)
        query = query.where(orders.c.created_at >= cutoff, orders.c.created_at <= now)
    value: Any = {
        "count": cast(func.count(), Double),
        "sum": cast(func.sum(orders.c.amount), Double),
        "avg": cast(func.avg(orders.c.amount), Double),
        "first": func.min(orders.c.created_at),
        "last": func.max(orders.c.created_at),
    }[definition.function]
    kind = TraitType.TIME if definition.function in ("first", "last") else TraitType.NUMBER
    source = query.add_columns(value.label("value")).group_by(orders.c.profile_id)
    await replace_values(session, definition.name, kind, source)
