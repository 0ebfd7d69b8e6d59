"""Value checks: an operator and its operand, resolved once to the typed column they read.

:func:`prepare_check` validates an operand against the trait's type (declared, or
inferred from the operand) and returns a :class:`Check`; the SQL compiler turns a
Check into a clause over the typed columns and :func:`matches` applies it to a
:class:`~junction.core.traits.values.TypedValue` in Python, so both read the same
column with the same operand.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

from junction.core.segments.dsl import Op
from junction.core.segments.errors import DefinitionError
from junction.core.traits.values import LIST_SEPARATOR, TraitType, TypedValue, parse_time

__all__ = ["Check", "column", "compare", "matches", "prepare_check", "relative_bounds"]

MAX_DAYS: Final = 36500
MAX_IN_VALUES: Final = 1000
#: The column an undeclared ``contains`` reads: substring of a text, item of a list.
TEXT_OR_LIST: Final = "text_or_list"
ANY: Final = "any"
_ORDERED = (TraitType.NUMBER, TraitType.TIME)


class Check(NamedTuple):
    """An operator with its operand converted to the type of the column it reads.

    ``kind`` is a :class:`TraitType` value, ``"text_or_list"`` or ``"any"`` (exists).
    The operand is a float, datetime, str or bool; a tuple of them for ``in`` and
    ``between``; the number of days for relative times; None for ``exists``.
    """

    op: Op
    kind: str
    operand: Any


def relative_bounds(check: Check, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The ``(low, high)`` time bounds of a relative check, computed from ``now``.

    ``within_days`` is ``now - N days <= t <= now``; ``more_than_days_ago`` is
    ``t < now - N days`` (returned as an exclusive ``high``).
    """
    cutoff = now - timedelta(days=check.operand)
    return (cutoff, now) if check.op is Op.WITHIN_DAYS else (None, cutoff)


def prepare_check(op: Op, value: Any, declared: TraitType | None, path: str, what: str) -> Check:
    """Validate ``value`` for ``op`` on a trait of type ``declared`` (None: undeclared).

    Args:
        op: The operator.
        value: The operand as written in the definition.
        declared: The trait's declared type, or None to infer it from the operand.
        path: JSONPath of the condition, for errors.
        what: How errors name the trait, e.g. "trait `age`".

    Raises:
        DefinitionError: the operand's shape or type does not fit ``op`` or the trait.
    """
    at = f"{path}.value"
    if op is Op.EXISTS:
        if value is not None:
            raise DefinitionError("`exists` takes no value", at)
        return Check(op, ANY, None)
    if op in (Op.WITHIN_DAYS, Op.MORE_THAN_DAYS_AGO):
        if declared not in (None, TraitType.TIME):
            raise DefinitionError(f"`{op}` needs a time, but {what} is {declared}", f"{path}.op")
        return Check(op, TraitType.TIME.value, _days(value, at))
    if op is Op.CONTAINS:
        if declared not in (None, TraitType.TEXT, TraitType.LIST):
            raise DefinitionError(f"`contains` needs text or a list; {what} is {declared}", at)
        if not isinstance(value, str) or not value or LIST_SEPARATOR in value:
            raise DefinitionError("`contains` takes a non-empty string", at)
        return Check(op, declared.value if declared else TEXT_OR_LIST, value)
    if declared is TraitType.LIST:
        raise DefinitionError(f"{what} is a list: use `contains` or `exists`", f"{path}.op")
    if op is Op.IN:
        if not isinstance(value, list) or not 0 < len(value) <= MAX_IN_VALUES:
            raise DefinitionError(f"`in` takes a list of 1 to {MAX_IN_VALUES} values", at)
        kind = declared or _infer(value[0], op, at)
        items = tuple(_operand(item, kind, f"{at}[{i}]", what) for i, item in enumerate(value))
        return Check(op, kind.value, items)
    if op is Op.BETWEEN:
        if not isinstance(value, list) or len(value) != 2:
            raise DefinitionError("`between` takes [low, high]", at)
        kind = declared or _infer(value[0], op, at)
        _require_ordered(kind, op, what, path)
        low, high = (_operand(item, kind, f"{at}[{i}]", what) for i, item in enumerate(value))
        if low > high:
            raise DefinitionError("`between` needs low <= high", at)
        return Check(op, kind.value, (low, high))
    kind = declared or _infer(value, op, at)
    if op in (Op.GT, Op.GTE, Op.LT, Op.LTE):
        _require_ordered(kind, op, what, path)
    return Check(op, kind.value, _operand(value, kind, at, what))


def matches(check: Check, value: TypedValue | None, now: datetime) -> bool:
    """Whether a typed value (None: the trait is missing) passes ``check`` in Python."""
    if value is None:
        return False
    if check.kind == ANY:
        return True
    if check.op is Op.CONTAINS:
        if value.text is None:
            return False
        # An undeclared `contains` reads a list as items and a text as a substring.
        as_list = (
            value.kind == TraitType.LIST
            if check.kind == TEXT_OR_LIST
            else (check.kind == TraitType.LIST)
        )
        if as_list:
            return LIST_SEPARATOR + check.operand + LIST_SEPARATOR in value.text
        return value.kind == TraitType.TEXT and check.operand in value.text
    held = column(value, check.kind)
    if held is None:
        return False
    if check.op in (Op.WITHIN_DAYS, Op.MORE_THAN_DAYS_AGO):
        low, high = relative_bounds(check, now)
        return low <= held <= high if low is not None else held < high  # type: ignore[operator]
    return compare(check.op, held, check.operand)


def column(value: TypedValue, kind: str) -> Any:
    """The field of ``value`` a check of ``kind`` reads."""
    return {
        TraitType.TEXT.value: value.text,
        TraitType.NUMBER.value: value.number,
        TraitType.TIME.value: value.time,
        TraitType.BOOL.value: value.flag,
    }[kind]


def compare(op: Op, held: Any, operand: Any) -> bool:
    """``held <op> operand`` in Python (``operand`` is a tuple for ``in`` and ``between``)."""
    if op is Op.EQ:
        return bool(held == operand)
    if op is Op.NEQ:
        return bool(held != operand)
    if op is Op.IN:
        return held in operand
    if op is Op.BETWEEN:
        return bool(operand[0] <= held <= operand[1])
    return bool(
        {Op.GT: held > operand, Op.GTE: held >= operand, Op.LT: held < operand}.get(
            op, held <= operand
        )
    )


def _days(value: Any, at: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DAYS:
        raise DefinitionError(f"a window is a whole number of days from 1 to {MAX_DAYS}", at)
    return value


def _infer(value: Any, op: Op, at: str) -> TraitType:
    if isinstance(value, bool):
        return TraitType.BOOL
    if isinstance(value, (int, float)):
        return TraitType.NUMBER
    if isinstance(value, str):
        # Text has no order here (collations differ between databases), so an ordered
        # comparison with a string is a comparison of times.
        ordered = op in (Op.GT, Op.GTE, Op.LT, Op.LTE, Op.BETWEEN)
        return TraitType.TIME if ordered else TraitType.TEXT
    raise DefinitionError(f"`{op}` takes a string, number or boolean operand", at)


def _require_ordered(kind: TraitType, op: Op, what: str, path: str) -> None:
    if kind not in _ORDERED:
        raise DefinitionError(f"`{op}` compares numbers or times; {what} is {kind}", f"{path}.op")


def _operand(value: Any, kind: TraitType, at: str, what: str) -> Any:
    if kind is TraitType.NUMBER:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
            if number == number and abs(number) != float("inf"):
                return number
        raise DefinitionError(f"{what} is a number: expected a number, got {value!r}", at)
    if kind is TraitType.TIME:
        parsed = parse_time(value)
        if parsed is None:
            raise DefinitionError(
                f"{what} is a time: expected an ISO 8601 date or time, got {value!r}", at
            )
        return parsed
    if kind is TraitType.BOOL:
        if not isinstance(value, bool):
            raise DefinitionError(f"{what} is a boolean: expected true or false, got {value!r}", at)
        return value
    if not isinstance(value, str):
        raise DefinitionError(f"{what} is text: expected a string, got {value!r}", at)
    return value
