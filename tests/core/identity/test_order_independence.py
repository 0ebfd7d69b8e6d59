"""Resolving the same events in any order or batching gives the same profiles.

People are generated with disjoint identifiers (so no rule ever has to refuse a link),
and each event carries a random subset of one person's identifiers and traits. Then the
grouping of identifiers into profiles, and each profile's traits, must not depend on
the order the events arrive in or how they are batched — on the pure graph and on
both databases.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from junction.core.db import Database
from junction.core.db.tables import Identity, Profile
from junction.core.identity import IdentityGraph, IdentityRules, Key, Observation, Resolver
from junction.core.secrets import SecretBox, generate_key

from .helpers import add_events, event, make_source, partition

BASE = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    people = draw(st.integers(min_value=1, max_value=5))
    events = []
    for person in range(people):
        devices = [f"dev-{person}-{d}" for d in range(draw(st.integers(1, 3)))]
        has_user = draw(st.booleans())
        for _ in range(draw(st.integers(1, 5))):
            anonymous = draw(st.sampled_from(devices))
            user = f"user-{person}" if has_user and draw(st.booleans()) else None
            traits = draw(st.dictionaries(st.sampled_from(["city", "plan"]), st.integers(0, 3)))
            minutes = draw(st.integers(0, 50))
            events.append({"user": user, "anon": anonymous, "traits": traits, "minutes": minutes})
    return events


def _graph_partition(history: list[dict[str, Any]], batch: int) -> set[frozenset[Key]]:
    owners: dict[Key, int] = {}
    next_id = 1
    for start in range(0, len(history), batch):
        graph = IdentityGraph(IdentityRules(), owners)
        for ref, item in enumerate(history[start : start + batch]):
            keys = [Key("anonymous_id", "", item["anon"])]
            if item["user"]:
                keys.append(Key("user_id", "", item["user"]))
            at = BASE + timedelta(minutes=item["minutes"])
            graph.observe(Observation(ref, str(ref), 1, tuple(keys), at, item["traits"]))
        plan = graph.plan()
        # Stand in for the database: give new profiles real ids, apply the links.
        real = {}
        for temp in plan.new_profiles:
            real[temp] = next_id
            next_id += 1
        for merge in plan.merges:
            for key, owner in list(owners.items()):
                if owner == merge.merged:
                    owners[key] = real.get(merge.survivor, merge.survivor)
        for key, profile in plan.links.items():
            owners[key] = real.get(profile, profile)
    groups: dict[int, set[Key]] = {}
    for key, profile in owners.items():
        groups.setdefault(profile, set()).add(key)
    return {frozenset(g) for g in groups.values()}


@given(history=histories(), order=st.randoms(use_true_random=False), batch=st.integers(1, 8))
def test_graph_partition_is_order_and_batch_independent(
    history: list[dict[str, Any]], order: Any, batch: int
) -> None:
    shuffled = list(history)
    order.shuffle(shuffled)
    assert _graph_partition(shuffled, batch) == _graph_partition(history, len(history))


def _as_events(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        event(
            "identify",
            user_id=item["user"],
            anonymous_id=item["anon"],
            traits=item["traits"],
            minutes=item["minutes"],
        )
        for item in history
    ]


async def _resolve(url: str, events: list[dict[str, Any]], batch: int) -> tuple[Any, Any]:
    db = Database.open(url)
    try:
        source = await make_source(db)
        await add_events(db, source, events)
        resolver = Resolver(
            db, SecretBox.from_settings(generate_key(), Path("/nonexistent")), batch_size=batch
        )
        await resolver.resolve_all()
        groups = await partition(db)
        async with db.sessions() as session:
            rows = await session.execute(
                select(Identity.value, Profile.traits)
                .join(Profile, Profile.id == Identity.profile_id)
                .where(Identity.type == "anonymous_id")
            )
            traits = {value: traits for value, traits in rows}
        return groups, traits
    finally:
        await db.close()


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories(), order=st.randoms(use_true_random=False), batch=st.integers(1, 6))
def test_database_profiles_are_order_and_batch_independent(
    history: list[dict[str, Any]],
    order: Any,
    batch: int,
    fresh_database: Callable[[], AbstractContextManager[str]],
) -> None:
    shuffled = list(history)
    order.shuffle(shuffled)
    results = []
    for events, size in ((history, 1000), (shuffled, batch)):
        with fresh_database() as url:
            results.append(asyncio.run(_resolve(url, _as_events(events), size)))
    assert results[0] == results[1]
