"""Computed traits declared as data: event and order aggregates, RFM, lifecycle stage.

Each definition names the values it produces (its *outputs*) and their types, so
segments can be validated against them before anything is computed::

    {"kind": "event", "name": "purchases_30d", "event": "purchase",
     "function": "count", "within_days": 30}
    {"kind": "order", "name": "orders.refunded", "function": "count",
     "statuses": ["refunded"]}
    {"kind": "rfm", "name": "rfm", "within_days": 365}   # rfm.r, rfm.f, ..., rfm.group
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

import msgspec
from msgspec import Meta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import ComputedTraitDefinition
from junction.core.model import ModelError, OrderStatus
from junction.core.traits.values import TraitType

__all__ = [
    "BUYING_STATUSES",
    "DEFAULT_COMPUTED_TRAITS",
    "ComputedTrait",
    "EventAggregate",
    "Lifecycle",
    "OrderAggregate",
    "Rfm",
    "decode_computed_trait",
    "load_computed_definitions",
    "output_names",
    "outputs",
]

NAME_PATTERN: Final = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
_NAME = re.compile(NAME_PATTERN)
#: Orders that count as buying: placed and paid for, not cancelled or refunded.
BUYING_STATUSES: Final = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.COMPLETED)

_Name = Annotated[str, Meta(pattern=NAME_PATTERN, max_length=100)]
_Days = Annotated[int, Meta(ge=1, le=36500)]


class _Def(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True, tag_field="kind"):
    name: _Name


class EventAggregate(_Def, tag="event"):
    """count / sum / min / max / last of event ``event`` (or of its ``property``).

    ``count`` counts the events (having ``property``, when given); ``sum``, ``min``
    and ``max`` need a declared number property; ``last`` is the newest value of
    ``property``, or the newest event's time without one.
    """

    event: Annotated[str, Meta(min_length=1, max_length=200)]
    function: Literal["count", "sum", "min", "max", "last"]
    property: str | None = None
    within_days: _Days | None = None


class OrderAggregate(_Def, tag="order"):
    """count / sum / avg of order amounts, or the first / last order's time."""

    function: Literal["count", "sum", "avg", "first", "last"]
    statuses: list[OrderStatus] = msgspec.field(default_factory=lambda: list(BUYING_STATUSES))
    within_days: _Days | None = None


class Rfm(_Def, tag="rfm"):
    """Recency, frequency and monetary scores 1-5 by quintile, and the named group.

    Outputs ``<name>.r``, ``.f``, ``.m`` (1-5, 5 best), ``.score`` (``r*100+f*10+m``)
    and ``.group`` (champions, loyal, ..., hibernating). Only people with at least one
    order in the window are scored.
    """

    within_days: _Days = 365
    statuses: list[OrderStatus] = msgspec.field(default_factory=lambda: list(BUYING_STATUSES))


class Lifecycle(_Def, tag="lifecycle"):
    """Lifecycle stage from the last activity (event or order).

    ``new`` when the profile was created in the last ``new_days``; otherwise
    ``active`` when last active within ``active_days``, ``dormant`` within
    ``churn_days``, else ``churned``. Outputs ``<name>.stage`` and
    ``<name>.last_active_at``.
    """

    new_days: _Days = 30
    active_days: _Days = 30
    churn_days: _Days = 90

    def __post_init__(self) -> None:
        if self.active_days > self.churn_days:
            raise ModelError("`active_days` must not exceed `churn_days`", "$.active_days")


ComputedTrait = EventAggregate | OrderAggregate | Rfm | Lifecycle

DEFAULT_COMPUTED_TRAITS: Final[tuple[ComputedTrait, ...]] = (
    OrderAggregate(name="orders.count", function="count"),
    OrderAggregate(name="orders.total", function="sum"),
    OrderAggregate(name="orders.avg", function="avg"),
    OrderAggregate(name="orders.first_at", function="first"),
    OrderAggregate(name="orders.last_at", function="last"),
    Rfm(name="rfm"),
    Lifecycle(name="lifecycle"),
)


def decode_computed_trait(data: bytes | str | dict[str, Any]) -> ComputedTrait:
    """Decode one definition.

    Raises:
        ModelError: it is malformed; ``path`` says where.
    """
    try:
        if isinstance(data, dict):
            return msgspec.convert(data, ComputedTrait)  # type: ignore[arg-type]
        return msgspec.json.decode(data, type=ComputedTrait)  # type: ignore[arg-type]
    except msgspec.MsgspecError as exc:
        raise ModelError.from_msgspec(exc) from None


def outputs(
    definition: ComputedTrait, event_properties: dict[str, dict[str, TraitType]]
) -> dict[str, TraitType]:
    """The computed traits ``definition`` produces, by name, with their types.

    Raises:
        ModelError: an event aggregate names a property that is not declared, or one
            whose type its function cannot aggregate.
    """
    if isinstance(definition, Rfm):
        scores = {f"{definition.name}.{part}": TraitType.NUMBER for part in "rfm"}
        return {
            **scores,
            f"{definition.name}.score": TraitType.NUMBER,
            f"{definition.name}.group": TraitType.TEXT,
        }
    if isinstance(definition, Lifecycle):
        return {
            f"{definition.name}.stage": TraitType.TEXT,
            f"{definition.name}.last_active_at": TraitType.TIME,
        }
    if isinstance(definition, OrderAggregate):
        numeric = definition.function in ("count", "sum", "avg")
        return {definition.name: TraitType.NUMBER if numeric else TraitType.TIME}
    if definition.property is None:
        if definition.function in ("sum", "min", "max"):
            raise ModelError(f"`{definition.function}` needs a `property`", "$.property")
        kind = TraitType.TIME if definition.function == "last" else TraitType.NUMBER
        return {definition.name: kind}
    declared = event_properties.get(definition.event, {}).get(definition.property)
    if declared is None:
        raise ModelError(
            f"property `{definition.property}` of event `{definition.event}` is not declared",
            "$.property",
        )
    if definition.function == "count":
        return {definition.name: TraitType.NUMBER}
    if definition.function in ("sum", "min", "max") and declared is not TraitType.NUMBER:
        raise ModelError(
            f"`{definition.function}` needs a number property; `{definition.property}` is "
            f"{declared}",
            "$.property",
        )
    return {definition.name: declared if definition.function == "last" else TraitType.NUMBER}


async def load_computed_definitions(session: AsyncSession) -> list[ComputedTrait]:
    """The built-in computed traits, overridden or extended by the stored ones."""
    by_name: dict[str, ComputedTrait] = {d.name: d for d in DEFAULT_COMPUTED_TRAITS}
    for raw in await session.scalars(select(ComputedTraitDefinition.definition)):
        definition = decode_computed_trait(raw)
        by_name[definition.name] = definition
    return list(by_name.values())


def output_names(definition: ComputedTrait) -> list[str]:
    """The names of the values ``definition`` produces (without checking its types)."""
    if isinstance(definition, Rfm):
        return [f"{definition.name}.{part}" for part in ("r", "f", "m", "score", "group")]
    if isinstance(definition, Lifecycle):
        return [f"{definition.name}.stage", f"{definition.name}.last_active_at"]
    return [definition.name]


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid computed-trait name.

    Raises:
        ModelError: it is not.
    """
    if _NAME.fullmatch(name) is None:
        raise ModelError(f"Expected `str` matching regex {NAME_PATTERN!r}, got {name!r}")
    return name
