"""Python twins of the set-based aggregates, for one profile.

Used for real-time checks on a profile that just changed and by the tests that prove
the SQL of :mod:`junction.core.traits.aggregates` computes the same values.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from junction.core.traits.definitions import EventAggregate, OrderAggregate
from junction.core.traits.records import EventRecord, OrderRecord
from junction.core.traits.values import TraitType, TypedValue, read_value

__all__ = ["event_aggregate", "order_aggregate"]


def _in_window(at: datetime, days: int | None, now: datetime) -> bool:
    return days is None or now - timedelta(days=days) <= at <= now


def event_aggregate(
    definition: EventAggregate,
    kind: TraitType,
    events: list[EventRecord],
    properties: dict[str, dict[str, TraitType]],
    now: datetime,
) -> TypedValue | None:
    """The value :func:`~junction.core.traits.aggregates.compute_event_aggregate` stores."""
    chosen = [
        e
        for e in events
        if e.name == definition.event and _in_window(e.timestamp, definition.within_days, now)
    ]
    if definition.property is None:
        if not chosen:
            return None
        if definition.function == "count":
            return TypedValue(kind.value, number=float(len(chosen)))
        return TypedValue(kind.value, time=max(e.timestamp for e in chosen))
    declared = properties[definition.event][definition.property]
    typed = [
        (e, value)
        for e in chosen
        if (value := read_value(e.properties.get(definition.property), declared)) is not None
    ]
    if not typed:
        return None
    if definition.function == "count":
        return TypedValue(kind.value, number=float(len(typed)))
    if definition.function == "last":
        _, newest = max(typed, key=lambda pair: (pair[0].timestamp, pair[0].id))
        return newest if _has_value(newest) else None
    numbers = [value.number for _, value in typed if value.number is not None]
    if not numbers:
        return None
    result = {"sum": sum(numbers), "min": min(numbers), "max": max(numbers)}[definition.function]
    return TypedValue(kind.value, number=result)


def order_aggregate(
    definition: OrderAggregate, orders: list[OrderRecord], now: datetime
) -> TypedValue | None:
    """The value :func:`~junction.core.traits.aggregates.compute_order_aggregate` stores."""
    statuses = {str(s) for s in definition.statuses}
    chosen = [
        o
        for o in orders
        if (not statuses or o.status in statuses)
        and _in_window(o.created_at, definition.within_days, now)
    ]
    if not chosen:
        return None
    if definition.function in ("first", "last"):
        pick = min if definition.function == "first" else max
        return TypedValue(TraitType.TIME.value, time=pick(o.created_at for o in chosen))
    total = sum((o.amount for o in chosen), Decimal(0))
    number = {
        "count": float(len(chosen)),
        "sum": float(total),
        "avg": float(total / len(chosen)),
    }[definition.function]
    return TypedValue(TraitType.NUMBER.value, number=number)


def _has_value(value: TypedValue) -> bool:
    return any(v is not None for v in (value.text, value.number, value.time, value.flag))
