"""The segment DSL: conditions over profiles as msgspec Structs, decoded from JSON.

A definition is one condition; ``type`` tells which::

    {"type": "all", "conditions": [
        {"type": "trait", "name": "city", "op": "in", "value": ["Shanghai", "Hangzhou"]},
        {"type": "event", "name": "purchase", "within_days": 30,
         "count": {"op": "gte", "value": 2},
         "where": [{"property": "amount", "op": "gte", "value": 100}]},
        {"type": "not", "condition": {"type": "event", "name": "login", "within_days": 14}},
        {"type": "consent", "purpose": "ads"}]}

Decoding checks shapes only; :func:`junction.core.segments.validate` checks meaning
(known traits, operand types, windows, cycles between segments).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final, Literal

import msgspec

from junction.core.model import ModelError

__all__ = [
    "All",
    "Any_",
    "Comparison",
    "ComputedCondition",
    "Condition",
    "ConsentCondition",
    "EventCondition",
    "Not",
    "Op",
    "OrderCondition",
    "PropertyFilter",
    "SegmentCondition",
    "TagCondition",
    "TraitCondition",
    "decode_condition",
    "encode_condition",
    "walk",
]

#: How many conditions one definition may hold, so a definition stays a query a
#: database plans in milliseconds.
MAX_CONDITIONS: Final = 100


class Op(StrEnum):
    """Operators of value conditions (traits, computed traits, event properties)."""

    EQ = "eq"
    NEQ = "neq"
    IN = "in"
    CONTAINS = "contains"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    BETWEEN = "between"
    EXISTS = "exists"
    #: A time no older than ``value`` days (and not in the future).
    WITHIN_DAYS = "within_days"
    #: A time more than ``value`` days ago.
    MORE_THAN_DAYS_AGO = "more_than_days_ago"


class _Base(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    pass


class _Tagged(_Base, tag_field="type"):
    pass


class TraitCondition(_Tagged, tag="trait"):
    """An identify trait compared with ``value`` (its shape depends on ``op``).

    ``neq`` and the comparisons match only profiles that have the trait; wrap an ``eq``
    in ``not`` to include profiles without it.
    """

    name: str
    op: Op
    value: Any = None


class ComputedCondition(_Tagged, tag="computed"):
    """A computed trait (``orders.total``, ``rfm.group``, ...) compared with ``value``."""

    name: str
    op: Op
    value: Any = None


class TagCondition(_Tagged, tag="tag"):
    """The profile carries ``tag`` (set by hand or by a tag rule)."""

    tag: str


class ConsentCondition(_Tagged, tag="consent"):
    """The profile's latest decision for ``purpose`` is ``granted``."""

    purpose: str


class Comparison(_Base):
    """A count or amount compared with a number (``between`` takes ``[low, high]``)."""

    op: Literal["eq", "neq", "gt", "gte", "lt", "lte", "between"] = "gte"
    value: Any = 1


class PropertyFilter(_Base):
    """A declared event property compared with ``value``."""

    property: str
    op: Op
    value: Any = None


class EventCondition(_Tagged, tag="event"):
    """The profile did event ``name`` ``count`` times (default: at least once).

    ``within_days`` limits the window to the last N days (all time when omitted);
    ``where`` keeps only events whose declared properties match, all of them.
    """

    name: str
    count: Comparison = Comparison()
    within_days: int | None = None
    where: list[PropertyFilter] = []


class OrderCondition(_Tagged, tag="order"):
    """The profile's order ``metric`` (count or total amount) compared as ``compare``.

    Only orders in ``statuses`` (all when empty) and, with ``within_days``, created in
    the last N days count. A profile without orders has a count and a total of 0, so
    ``{"op": "eq", "value": 0}`` finds people who never ordered.
    """

    metric: Literal["count", "total"] = "count"
    compare: Comparison = Comparison()
    statuses: list[str] = []
    within_days: int | None = None


class SegmentCondition(_Tagged, tag="segment"):
    """The profile is a member of the segment named ``segment`` (evaluated, not cached)."""

    segment: str


class All(_Tagged, tag="all"):
    """Every condition holds."""

    conditions: list[Condition]


class Any_(_Tagged, tag="any"):
    """At least one condition holds."""

    conditions: list[Condition]


class Not(_Tagged, tag="not"):
    """The condition does not hold."""

    condition: Condition


Condition = (
    All
    | Any_
    | Not
    | TraitCondition
    | ComputedCondition
    | TagCondition
    | ConsentCondition
    | EventCondition
    | OrderCondition
    | SegmentCondition
)


def decode_condition(data: bytes | str | dict[str, Any]) -> Condition:
    """Decode a definition from JSON text or from already-parsed JSON.

    Raises:
        ModelError: the document is not a well-formed definition; ``path`` says where.
    """
    try:
        if isinstance(data, dict):
            return msgspec.convert(data, Condition)  # type: ignore[arg-type]
        return msgspec.json.decode(data, type=Condition)  # type: ignore[arg-type]
    except msgspec.MsgspecError as exc:
        raise ModelError.from_msgspec(exc) from None


def encode_condition(condition: Condition) -> dict[str, Any]:
    """The definition as plain JSON data (what the database stores)."""
    return msgspec.to_builtins(condition)  # type: ignore[no-any-return]


def walk(condition: Condition, path: str = "$") -> list[tuple[str, Condition]]:
    """Every condition in the tree with its JSONPath, parents before children."""
    found: list[tuple[str, Condition]] = [(path, condition)]
    if isinstance(condition, All | Any_):
        for index, child in enumerate(condition.conditions):
            found.extend(walk(child, f"{path}.conditions[{index}]"))
    elif isinstance(condition, Not):
        found.extend(walk(condition.condition, f"{path}.condition"))
    return found
