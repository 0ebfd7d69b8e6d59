"""What a definition may refer to: declared traits and properties, computed traits, segments."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import (
    EventPropertyDefinition,
    Segment,
    TraitDefinition,
)
from junction.core.segments.dsl import Condition, decode_condition
from junction.core.traits.definitions import (
    ComputedTrait,
    load_computed_definitions,
    outputs,
)
from junction.core.traits.values import TraitType

__all__ = ["Catalog", "load_catalog"]


class Catalog(msgspec.Struct, kw_only=True):
    """Names a definition can use, with their types.

    Attributes:
        traits: Declared identify traits. Empty means none are declared: any trait name
            is accepted and its type is read from the operand.
        event_properties: Declared (promoted) event properties: event → property → type.
            Only these can be filtered on in an event condition's ``where``.
        computed: Every computed trait output (``orders.total``, ``rfm.group``, ...).
        segments: The stored segments' conditions by name, for ``segment`` conditions.
    """

    traits: dict[str, TraitType] = {}
    event_properties: dict[str, dict[str, TraitType]] = {}
    computed: dict[str, TraitType] = {}
    segments: dict[str, Condition] = {}

    def computed_traits_from(self, definitions: list[ComputedTrait]) -> None:
        """Set :attr:`computed` to the outputs of ``definitions``."""
        self.computed = {}
        for definition in definitions:
            self.computed.update(outputs(definition, self.event_properties))


async def load_catalog(session: AsyncSession, *, with_segments: bool = True) -> Catalog:
    """Read the catalog from the database."""
    traits = {
        name: TraitType(kind)
        for name, kind in await session.execute(select(TraitDefinition.name, TraitDefinition.type))
    }
    properties: dict[str, dict[str, TraitType]] = {}
    rows = await session.execute(
        select(
            EventPropertyDefinition.event,
            EventPropertyDefinition.property,
            EventPropertyDefinition.type,
        )
    )
    for event, prop, kind in rows:
        properties.setdefault(event, {})[prop] = TraitType(kind)
    catalog = Catalog(traits=traits, event_properties=properties)
    catalog.computed_traits_from(await load_computed_definitions(session))
    if with_segments:
        segments: dict[str, Any] = {}
        for name, condition in await session.execute(select(Segment.name, Segment.condition)):
            segments[name] = decode_condition(condition)
        catalog.segments = segments
    return catalog
