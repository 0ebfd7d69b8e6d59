"""Recomputing traits: promotion, then every computed trait, each in its own transaction."""

from __future__ import annotations

import time
from datetime import datetime

import msgspec

from junction.core.db import Database
from junction.core.db.tables import ComputedTraitValue
from junction.core.db.types import utcnow
from junction.core.traits.aggregates import compute_event_aggregate, compute_order_aggregate
from junction.core.traits.definitions import (
    EventAggregate,
    Lifecycle,
    OrderAggregate,
    Rfm,
    load_computed_definitions,
    outputs,
)
from junction.core.traits.lifecycle import compute_lifecycle
from junction.core.traits.promote import (
    analyze,
    declared_properties,
    promote_event_properties,
    promote_profile_traits,
)
from junction.core.traits.rfm import compute_rfm

__all__ = ["TraitRunReport", "recompute_traits"]


class TraitRunReport(msgspec.Struct, frozen=True, kw_only=True):
    """What a recompute did."""

    as_of: datetime
    profiles_read: int
    events_read: int
    computed: list[str]
    seconds: float


async def recompute_traits(
    db: Database, *, now: datetime | None = None, full: bool = False
) -> TraitRunReport:
    """Promote changed traits and properties, then recompute every computed trait.

    Promotion is incremental unless ``full``. Computed traits are always recomputed in
    full, set-based: their windows move with time, so yesterday's value can be wrong
    for a profile that did nothing since.

    Args:
        db: The database.
        now: The time windows end at (default: now).
        full: Re-promote every profile and declared event property.
    """
    started = time.perf_counter()
    now = now or utcnow()
    profiles = await promote_profile_traits(db, full=full)
    events = await promote_event_properties(db, full=full)
    async with db.sessions() as session:
        properties = await declared_properties(session)
        definitions = await load_computed_definitions(session)
    done: list[str] = []
    for definition in definitions:
        async with db.transaction() as session:
            if isinstance(definition, EventAggregate):
                kind = outputs(definition, properties)[definition.name]
                await compute_event_aggregate(session, definition, kind, now)
            elif isinstance(definition, OrderAggregate):
                await compute_order_aggregate(session, definition, now)
            elif isinstance(definition, Rfm):
                await compute_rfm(session, definition, now)
            elif isinstance(definition, Lifecycle):
                await compute_lifecycle(session, definition, now)
        done.append(definition.name)
    await analyze(db, ComputedTraitValue.__tablename__)
    return TraitRunReport(
        as_of=now,
        profiles_read=profiles,
        events_read=events,
        computed=done,
        seconds=round(time.perf_counter() - started, 3),
    )
