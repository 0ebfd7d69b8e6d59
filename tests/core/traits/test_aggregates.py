"""The set-based computed traits store what their Python twins compute, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from junction.core.db import Database
from junction.core.db.tables import ComputedTraitValue, Profile
from junction.core.model import ModelError
from junction.core.segments import load_profile_data
from junction.core.segments.compile import live_profiles
from junction.core.traits import (
    EventAggregate,
    OrderAggregate,
    TraitType,
    TypedValue,
    declare_computed_trait,
    declare_event_property,
    outputs,
    recompute_traits,
)
from junction.core.traits.reference import event_aggregate, order_aggregate

from ..segments.strategies import people
from ..segments.world import NOW, Person, insert_people

PROPERTIES = {"purchase": {"amount": TraitType.NUMBER, "channel": TraitType.TEXT}}
DEFINITIONS = [
    EventAggregate(name="purchases", event="purchase", function="count"),
    EventAggregate(name="purchases_7d", event="purchase", function="count", within_days=7),
    EventAggregate(name="last_login", event="login", function="last"),
    EventAggregate(name="amount_sum", event="purchase", function="sum", property="amount"),
    EventAggregate(
        name="amount_min_30d", event="purchase", function="min", property="amount", within_days=30
    ),
    EventAggregate(name="amount_max", event="purchase", function="max", property="amount"),
    EventAggregate(name="last_channel", event="purchase", function="last", property="channel"),
    EventAggregate(name="amount_count", event="purchase", function="count", property="amount"),
    OrderAggregate(name="refunds", function="count", statuses=["refunded"]),
    OrderAggregate(name="spend_14d", function="sum", within_days=14),
    OrderAggregate(name="avg_all", function="avg", statuses=[]),
    OrderAggregate(name="first_paid", function="first", statuses=["paid"]),
    OrderAggregate(name="last_any", function="last", statuses=[]),
]


async def _stored(db: Database) -> dict[tuple[int, str], TypedValue]:
    async with db.sessions() as session:
        rows = await session.execute(select(ComputedTraitValue.__table__))
        return {
            (r.profile_id, r.name): TypedValue(
                r.kind, r.text_value, r.number_value, r.time_value, r.bool_value
            )
            for r in rows
        }


async def _check(url: str, world: list[Person]) -> None:
    db = Database.open(url)
    try:
        await insert_people(db, world)
        for event, props in PROPERTIES.items():
            for prop, kind in props.items():
                await declare_event_property(db, event, prop, kind, actor="test")
        for definition in DEFINITIONS:
            await declare_computed_trait(db, definition, actor="test")
        await recompute_traits(db, now=NOW, full=True)
        stored = await _stored(db)
        async with db.sessions() as session:
            live = list(await session.scalars(select(Profile.id).where(live_profiles())))
            for pid in live:
                data = await load_profile_data(session, pid)
                for definition in DEFINITIONS:
                    if isinstance(definition, EventAggregate):
                        kind = outputs(definition, PROPERTIES)[definition.name]
                        expected = event_aggregate(definition, kind, data.events, PROPERTIES, NOW)
                    else:
                        expected = order_aggregate(definition, data.orders, NOW)
                    got = stored.get((pid, definition.name))
                    if definition.name == "avg_all" and expected and got:
                        assert got.number == pytest.approx(expected.number, rel=1e-12)
                    else:
                        assert got == expected, (pid, definition.name)
    finally:
        await db.close()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=people())
def test_aggregates_match_their_python_twins(
    world: list[Person], fresh_database: Callable[[], AbstractContextManager[str]]
) -> None:
    with fresh_database() as url:
        asyncio.run(_check(url, world))


def test_a_sum_of_a_text_property_is_refused() -> None:
    with pytest.raises(ModelError, match="needs a number property"):
        outputs(
            EventAggregate(name="x", event="purchase", function="sum", property="channel"),
            PROPERTIES,
        )
    with pytest.raises(ModelError, match="is not declared"):
        outputs(EventAggregate(name="x", event="open", function="max", property="a"), PROPERTIES)
