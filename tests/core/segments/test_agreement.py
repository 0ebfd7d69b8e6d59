"""The compiled SQL and the in-memory evaluator select the same profiles, on both databases.

Random people (traits of every type and of the wrong type, tags, consent histories with
ties, events with declared and undeclared properties, inside and outside windows and in
the future, orders of every status, merged and erased profiles, unresolved events) and
random definitions (every condition type, every operator, nested all/any/not, a
reference to another segment): for each, the SQL member set equals the set of live
profiles the evaluator accepts. Definitions that do not validate are skipped; the
strategies are built so most do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress

from hypothesis import HealthCheck, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st
from sqlalchemy import select

from junction.core.db import Database
from junction.core.db.tables import Profile
from junction.core.segments.catalog import load_catalog
from junction.core.segments.compile import live_profiles
from junction.core.segments.compute import query_members
from junction.core.segments.data import load_profile_data
from junction.core.segments.dsl import Condition
from junction.core.segments.errors import DefinitionError
from junction.core.segments.evaluate import evaluate
from junction.core.segments.store import create_segment
from junction.core.segments.validate import validate
from junction.core.traits import TraitType, declare_event_property, declare_trait
from junction.core.traits.engine import recompute_traits

from .strategies import PROPERTIES, conditions, people
from .world import NOW, Person, insert_people

DECLARED = {
    "age": TraitType.NUMBER,
    "city": TraitType.TEXT,
    "signup": TraitType.TIME,
    "vip": TraitType.BOOL,
    "interests": TraitType.LIST,
}


async def _check(
    url: str, world: list[Person], declare: bool, other: Condition, tests: list[Condition]
) -> tuple[int, int]:
    db = Database.open(url)
    try:
        await insert_people(db, world)
        async with db.sessions() as session:
            live = list(await session.scalars(select(Profile.id).where(live_profiles())))
        for event, props in PROPERTIES.items():
            for prop, kind in props.items():
                await declare_event_property(db, event, prop, TraitType(kind), actor="test")
        if declare:
            for name, kind in DECLARED.items():
                await declare_trait(db, name, kind, actor="test")
        with suppress(DefinitionError):
            await create_segment(db, "other", other, actor="test")
        await recompute_traits(db, now=NOW, full=True)
        checked = telling = 0
        async with db.sessions() as session:
            catalog = await load_catalog(session)
            data = {pid: await load_profile_data(session, pid) for pid in live}
            for condition in tests:
                try:
                    validate(condition, catalog)
                except DefinitionError:
                    continue
                sql = set(await query_members(session, condition, catalog, NOW))
                memory = {pid for pid in live if evaluate(condition, data[pid], catalog, NOW)}
                assert sql == memory, condition
                checked += 1
                telling += 0 < len(sql) < len(live)
        return checked, telling
    finally:
        await db.close()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    world=people(),
    declare=st.booleans(),
    other=conditions(with_segment=False),
    tests=st.lists(conditions(), min_size=4, max_size=8),
)
def test_sql_and_memory_select_the_same_profiles(
    world: list[Person],
    declare: bool,
    other: Condition,
    tests: list[Condition],
    fresh_database: Callable[[], AbstractContextManager[str]],
) -> None:
    with fresh_database() as url:
        checked, telling = asyncio.run(_check(url, world, declare, other, tests))
    # Shown by --hypothesis-show-statistics: how many definitions were compared, and how
    # many selected some but not all live profiles (the comparisons that can fail).
    hypothesis_event(f"definitions compared: {min(checked, 4)}{'+' if checked >= 4 else ''}")
    hypothesis_event(f"some but not all selected: {min(telling, 2)}{'+' if telling >= 2 else ''}")
