"""Declaring what segments may read: traits, event properties and computed traits.

Declarations are configuration: each is written to the audit log, and a changed type
re-promotes the values it affects before returning, so the typed columns never
disagree with the declaration.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import delete, select

from junction.core import audit
from junction.core.db import Database
from junction.core.db.tables import (
    ComputedTraitDefinition,
    ComputedTraitValue,
    EventPropertyDefinition,
    TraitDefinition,
)
from junction.core.db.types import utcnow
from junction.core.errors import NotFoundError
from junction.core.model import ModelError
from junction.core.traits.definitions import (
    ComputedTrait,
    decode_computed_trait,
    output_names,
    outputs,
)
from junction.core.traits.promote import (
    declared_properties,
    promote_event_properties,
    promote_profile_traits,
)
from junction.core.traits.upsert import upsert
from junction.core.traits.values import TraitType

__all__ = [
    "declare_computed_trait",
    "declare_event_property",
    "declare_trait",
    "drop_computed_trait",
]

_MAX_NAME = 100


def _check_name(name: str, what: str, limit: int = _MAX_NAME) -> None:
    if not name or len(name) > limit:
        raise ModelError(f"a {what} name has 1 to {limit} characters", "$.name")


async def declare_trait(
    db: Database, name: str, type: TraitType, *, actor: str, description: str = ""
) -> None:
    """Declare (or re-type) the identify trait ``name`` and re-promote every profile.

    Once one trait is declared, segments may only use declared traits.

    Raises:
        ModelError: the name is empty or too long.
    """
    _check_name(name, "trait")
    async with db.transaction() as session:
        await audit.append(
            session,
            actor=actor,
            action="trait.declare",
            target=name,
            details={"type": str(type)},
        )
        await upsert(
            session,
            TraitDefinition.__table__,
            {"name": name, "type": str(type), "description": description, "created_at": utcnow()},
        )
    await promote_profile_traits(db, full=True)


async def declare_event_property(
    db: Database, event: str, property: str, type: TraitType, *, actor: str
) -> int:
    """Declare a property of ``event`` that segments may filter on, and promote it.

    Returns:
        How many past events were read to promote it.

    Raises:
        ModelError: a name is empty or too long, or ``type`` is ``list``.
    """
    _check_name(event, "event", 200)
    _check_name(property, "property")
    if type is TraitType.LIST:
        raise ModelError("event properties are text, number, time or bool", "$.type")
    async with db.transaction() as session:
        await audit.append(
            session,
            actor=actor,
            action="event_property.declare",
            target=f"{event}.{property}",
            details={"type": str(type)},
        )
        await upsert(
            session,
            EventPropertyDefinition.__table__,
            {"event": event, "property": property, "type": str(type), "created_at": utcnow()},
        )
    return await promote_event_properties(db, full=True, events=[event])


async def declare_computed_trait(
    db: Database, definition: ComputedTrait, *, actor: str
) -> dict[str, TraitType]:
    """Store a computed trait definition (replacing one of the same name).

    Its values appear at the next :func:`~junction.core.traits.recompute_traits`.

    Returns:
        The outputs it produces, by name.

    Raises:
        ModelError: it aggregates an undeclared property, or one of the wrong type.
    """
    async with db.transaction() as session:
        produced = outputs(definition, await declared_properties(session))
        raw: dict[str, Any] = msgspec.to_builtins(definition)
        await audit.append(
            session,
            actor=actor,
            action="computed_trait.declare",
            target=definition.name,
            details=raw,
        )
        now = utcnow()
        await upsert(
            session,
            ComputedTraitDefinition.__table__,
            {"name": definition.name, "definition": raw, "created_at": now, "updated_at": now},
        )
    return produced


async def drop_computed_trait(db: Database, name: str, *, actor: str) -> None:
    """Delete a stored computed trait definition and its values.

    Raises:
        NotFoundError: no stored definition has that name (built-ins cannot be dropped).
    """
    async with db.transaction() as session:
        await audit.append(session, actor=actor, action="computed_trait.drop", target=name)
        raw = await session.scalar(
            select(ComputedTraitDefinition.definition).where(ComputedTraitDefinition.name == name)
        )
        if raw is None:
            raise NotFoundError(f"no stored computed trait `{name}`")
        await session.execute(
            delete(ComputedTraitDefinition).where(ComputedTraitDefinition.name == name)
        )
        names = output_names(decode_computed_trait(raw))
        await session.execute(delete(ComputedTraitValue).where(ComputedTraitValue.name.in_(names)))
