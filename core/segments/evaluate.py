"""The in-memory evaluator: one profile's data against a definition, as the SQL would.

It reads every value through the same functions the trait engine uses to promote
them (:func:`~junction.core.traits.values.read_value`) and applies the same
:class:`~junction.core.segments.checks.Check`, so for a profile whose promoted rows
are current it agrees with :func:`~junction.core.segments.compile.member_query`
(the property tests in tests/core/segments prove it on both databases).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec

from junction.core.model import ConsentStatus
from junction.core.segments.catalog import Catalog
from junction.core.segments.checks import compare, matches
from junction.core.segments.dsl import (
    All,
    Any_,
    ComputedCondition,
    Condition,
    ConsentCondition,
    EventCondition,
    Not,
    OrderCondition,
    SegmentCondition,
    TagCondition,
    TraitCondition,
)
from junction.core.segments.validate import comparison_check, property_checks, value_check
from junction.core.traits.records import ConsentRecord, EventRecord, OrderRecord
from junction.core.traits.values import TypedValue, read_value

__all__ = ["ConsentRecord", "EventRecord", "OrderRecord", "ProfileData", "evaluate"]


class ProfileData(msgspec.Struct, kw_only=True):
    """Everything a definition can read about one profile.

    Attributes:
        profile_id: The profile.
        traits: Its identify traits as JSON (``profiles.traits``).
        tags: Its tags, whatever their origin.
        consents: Its consent decisions (all purposes, any order).
        events: Its events (those a definition reads are enough).
        orders: Its orders.
        computed: Its stored computed traits, typed.
    """

    profile_id: int
    traits: dict[str, Any] = {}
    tags: set[str] = set()
    consents: list[ConsentRecord] = []
    events: list[EventRecord] = []
    orders: list[OrderRecord] = []
    computed: dict[str, TypedValue] = {}


def evaluate(condition: Condition, data: ProfileData, catalog: Catalog, now: datetime) -> bool:
    """Whether the profile in ``data`` matches ``condition`` (validated) as of ``now``."""
    if isinstance(condition, All):
        return all(evaluate(c, data, catalog, now) for c in condition.conditions)
    if isinstance(condition, Any_):
        return any(evaluate(c, data, catalog, now) for c in condition.conditions)
    if isinstance(condition, Not):
        return not evaluate(condition.condition, data, catalog, now)
    if isinstance(condition, SegmentCondition):
        return evaluate(catalog.segments[condition.segment], data, catalog, now)
    if isinstance(condition, TraitCondition):
        value = read_value(data.traits.get(condition.name), catalog.traits.get(condition.name))
        return matches(value_check(condition, catalog), value, now)
    if isinstance(condition, ComputedCondition):
        return matches(value_check(condition, catalog), data.computed.get(condition.name), now)
    if isinstance(condition, TagCondition):
        return condition.tag in data.tags
    if isinstance(condition, ConsentCondition):
        return _latest_consent(data, condition.purpose) == ConsentStatus.GRANTED
    if isinstance(condition, EventCondition):
        return _event(condition, data, catalog, now)
    if isinstance(condition, OrderCondition):
        return _order(condition, data, now)
    raise TypeError(f"unknown condition {condition!r}")  # pragma: no cover


def _latest_consent(data: ProfileData, purpose: str) -> str | None:
    decisions = [c for c in data.consents if c.purpose == purpose]
    if not decisions:
        return None
    return max(decisions, key=lambda c: (c.recorded_at, c.id)).status


def _in_window(at: datetime, days: int | None, now: datetime) -> bool:
    return days is None or now - timedelta(days=days) <= at <= now


def _event(condition: EventCondition, data: ProfileData, catalog: Catalog, now: datetime) -> bool:
    checks = property_checks(condition, catalog)
    declared = catalog.event_properties.get(condition.name, {})
    count = 0
    for event in data.events:
        if event.name != condition.name or not _in_window(
            event.timestamp, condition.within_days, now
        ):
            continue
        if all(
            matches(check, read_value(event.properties.get(f.property), declared[f.property]), now)
            for f, check in zip(condition.where, checks, strict=True)
        ):
            count += 1
    check = comparison_check(condition.count, "$.count", whole=True)
    return compare(check.op, count, check.operand)


def _order(condition: OrderCondition, data: ProfileData, now: datetime) -> bool:
    statuses = {str(s) for s in condition.statuses}
    chosen = [
        order
        for order in data.orders
        if (not statuses or order.status in statuses)
        and _in_window(order.created_at, condition.within_days, now)
    ]
    whole = condition.metric == "count"
    metric: int | Decimal = len(chosen) if whole else sum((o.amount for o in chosen), Decimal(0))
    check = comparison_check(condition.compare, "$.compare", whole=whole)
    return compare(check.op, metric, check.operand)
