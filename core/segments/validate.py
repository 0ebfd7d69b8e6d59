"""Validation of a definition against the catalog: precise errors, named by JSONPath."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from junction.core.model import ModelError, OrderStatus, check_purpose
from junction.core.segments.catalog import Catalog
from junction.core.segments.checks import MAX_DAYS, Check, prepare_check
from junction.core.segments.dsl import (
    MAX_CONDITIONS,
    All,
    Any_,
    Comparison,
    ComputedCondition,
    Condition,
    ConsentCondition,
    EventCondition,
    Not,
    Op,
    OrderCondition,
    SegmentCondition,
    TagCondition,
    TraitCondition,
    walk,
)
from junction.core.segments.errors import DefinitionError
from junction.core.traits.values import TraitType

__all__ = ["comparison_check", "segment_refs", "validate", "value_check"]

MAX_DEPTH: Final = 16
_STATUSES = {status.value for status in OrderStatus}


def validate(condition: Condition, catalog: Catalog, *, name: str | None = None) -> None:
    """Check that ``condition`` means something computable.

    Args:
        condition: The decoded definition.
        catalog: Declared traits, properties, computed traits and the other segments.
        name: The segment being defined, so a reference back to it is a cycle.

    Raises:
        DefinitionError: the first problem found, with ``path`` pointing at it.
    """
    nodes = walk(condition)
    if len(nodes) > MAX_CONDITIONS:
        raise DefinitionError(f"a definition holds at most {MAX_CONDITIONS} conditions", "$")
    for path, node in nodes:
        if path.count(".condition") > MAX_DEPTH:
            raise DefinitionError(f"conditions nest at most {MAX_DEPTH} deep", path)
        _validate_node(node, path, catalog, name)


def value_check(
    condition: TraitCondition | ComputedCondition, catalog: Catalog, path: str = "$"
) -> Check:
    """The check a trait or computed-trait condition applies (validating it)."""
    if isinstance(condition, ComputedCondition):
        declared: TraitType | None = catalog.computed.get(condition.name)
        if declared is None:
            known = ", ".join(sorted(catalog.computed)) or "none"
            raise DefinitionError(
                f"unknown computed trait `{condition.name}` (known: {known})", f"{path}.name"
            )
        what = f"computed trait `{condition.name}`"
    else:
        if not condition.name or len(condition.name) > 100:
            raise DefinitionError("a trait name has 1 to 100 characters", f"{path}.name")
        declared = catalog.traits.get(condition.name)
        if catalog.traits and declared is None:
            known = ", ".join(sorted(catalog.traits))
            raise DefinitionError(
                f"unknown trait `{condition.name}` (declared: {known})", f"{path}.name"
            )
        what = f"trait `{condition.name}`"
    return prepare_check(condition.op, condition.value, declared, path, what)


def property_checks(condition: EventCondition, catalog: Catalog, path: str = "$") -> list[Check]:
    """The checks of an event condition's ``where`` filters (validating them)."""
    declared = catalog.event_properties.get(condition.name, {})
    checks = []
    for index, item in enumerate(condition.where):
        at = f"{path}.where[{index}]"
        kind = declared.get(item.property)
        if kind is None:
            known = ", ".join(sorted(declared)) or "none"
            raise DefinitionError(
                f"property `{item.property}` of event `{condition.name}` is not declared "
                f"(declared: {known}); declare it to filter on it",
                f"{at}.property",
            )
        what = f"property `{item.property}`"
        checks.append(prepare_check(item.op, item.value, kind, at, what))
    return checks


def comparison_check(comparison: Comparison, path: str, *, whole: bool) -> Check:
    """The check of a count (``whole``) or amount comparison (validating it)."""
    at = f"{path}.value"
    values = comparison.value if comparison.op == "between" else [comparison.value]
    if comparison.op == "between" and (not isinstance(values, list) or len(values) != 2):
        raise DefinitionError("`between` takes [low, high]", at)
    for value in values:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or (whole and not isinstance(value, int)) or value < 0:
            kind = "a whole number" if whole else "a number"
            raise DefinitionError(f"expected {kind} >= 0, got {value!r}", at)
    if comparison.op == "between" and values[0] > values[1]:
        raise DefinitionError("`between` needs low <= high", at)
    # Amounts are compared as decimals: exact in Python and on PostgreSQL (numeric).
    numbers = [int(v) if whole else Decimal(str(v)) for v in values]
    operand: Any = tuple(numbers) if comparison.op == "between" else numbers[0]
    return Check(Op(comparison.op), TraitType.NUMBER.value, operand)


def segment_refs(condition: Condition) -> list[tuple[str, str]]:
    """The ``(path, segment name)`` of every segment condition in ``condition``."""
    return [(p, n.segment) for p, n in walk(condition) if isinstance(n, SegmentCondition)]


def _validate_node(node: Condition, path: str, catalog: Catalog, name: str | None) -> None:
    if isinstance(node, All | Any_) and not node.conditions:
        raise DefinitionError(f"`{node.__struct_config__.tag}` needs a condition", path)
    if isinstance(node, TraitCondition | ComputedCondition):
        value_check(node, catalog, path)
    elif isinstance(node, TagCondition):
        if not node.tag or len(node.tag) > 100:
            raise DefinitionError("a tag has 1 to 100 characters", f"{path}.tag")
    elif isinstance(node, ConsentCondition):
        try:
            check_purpose(node.purpose)
        except ModelError as exc:
            raise DefinitionError(exc.message, f"{path}.purpose") from None
    elif isinstance(node, EventCondition):
        if not node.name:
            raise DefinitionError("an event name is required", f"{path}.name")
        _window(node.within_days, path)
        _not_everyone(comparison_check(node.count, f"{path}.count", whole=True), path)
        property_checks(node, catalog, path)
    elif isinstance(node, OrderCondition):
        _window(node.within_days, path)
        whole = node.metric == "count"
        _not_everyone(comparison_check(node.compare, f"{path}.compare", whole=whole), path)
        for index, status in enumerate(node.statuses):
            if status not in _STATUSES:
                known = ", ".join(sorted(_STATUSES))
                raise DefinitionError(
                    f"unknown order status {status!r} (known: {known})",
                    f"{path}.statuses[{index}]",
                )
    elif isinstance(node, SegmentCondition):
        _check_reference(node.segment, f"{path}.segment", catalog, name)
    elif not isinstance(node, All | Any_ | Not):  # pragma: no cover - the union is closed
        raise DefinitionError(f"unsupported condition {type(node).__name__}", path)


def _window(days: int | None, path: str) -> None:
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise DefinitionError(
            f"a window is a whole number of days from 1 to {MAX_DAYS}", f"{path}.within_days"
        )


def _not_everyone(check: Check, path: str) -> None:
    # "at least 0 times" holds for every profile: almost always a slip for "at least 1"
    # or "exactly 0", so it is refused rather than quietly selecting everyone.
    if check.op is Op.GTE and check.operand == 0:
        raise DefinitionError("`gte 0` holds for everyone: did you mean `gte 1` or `eq 0`?", path)


def _check_reference(target: str, path: str, catalog: Catalog, name: str | None) -> None:
    if target not in catalog.segments and target != name:
        raise DefinitionError(f"unknown segment `{target}`", path)
    # Depth-first over references; a path that comes back to `name` is a cycle.
    stack: list[tuple[str, list[str]]] = [(target, [target])]
    seen: set[str] = set()
    while stack:
        current, trail = stack.pop()
        if current == name:
            chain = " → ".join([name, *trail])
            raise DefinitionError(f"segments would refer to each other in a cycle: {chain}", path)
        if current in seen or current not in catalog.segments:
            continue
        seen.add(current)
        for _, child in segment_refs(catalog.segments[current]):
            stack.append((child, [*trail, child]))
