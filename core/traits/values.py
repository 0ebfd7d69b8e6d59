"""Typed trait values: how a JSON value is read as text, number, time, bool or list.

The same functions fill the promoted tables (``profile_traits``, ``event_properties``)
and feed the in-memory evaluator, so SQL and Python see exactly the same typed value.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, NamedTuple

__all__ = [
    "LIST_SEPARATOR",
    "MAX_TEXT_LENGTH",
    "TraitType",
    "TypedValue",
    "encode_list",
    "parse_time",
    "read_value",
]

#: Longer strings keep their row but no text value: PostgreSQL refuses index entries
#: above ~2.7 kB, and nobody segments on a paragraph.
MAX_TEXT_LENGTH: Final = 500
#: Lists of strings are stored as one text, each item framed by this separator, so
#: "contains item" is a substring test for the framed item on every database.
LIST_SEPARATOR: Final = "\x1f"
# A timestamp must at least start with a full date: `fromisoformat` also takes "2026"
# or "20260301", which are far more often numbers or codes than dates.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class TraitType(StrEnum):
    """The type a trait, event property or computed trait is read as."""

    TEXT = "text"
    NUMBER = "number"
    TIME = "time"
    BOOL = "bool"
    LIST = "list"


class TypedValue(NamedTuple):
    """One value in every typed column it can fill; the row of a promoted table.

    ``kind`` is the type it was read as, or ``"other"`` for an undeclared value that is
    none of the types (an object, a list of non-strings): it exists, but no condition
    other than ``exists`` matches it.
    """

    kind: str
    text: str | None = None
    number: float | None = None
    time: datetime | None = None
    flag: bool | None = None


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 string (``2026-03-01``, ``2026-03-01T08:00:00+08:00``) as aware UTC.

    A value without a zone is taken as UTC. Anything else gives None.
    """
    if not isinstance(value, str) or _ISO_DATE.match(value) is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def encode_list(items: list[str]) -> str:
    """The stored form of a list of strings: ``\\x1fa\\x1fb\\x1f``."""
    return LIST_SEPARATOR + "".join(item + LIST_SEPARATOR for item in items)


def read_value(value: Any, declared: TraitType | None = None) -> TypedValue | None:
    """Read a JSON value as its declared type, or infer one when none is declared.

    Args:
        value: The raw JSON value (from ``profiles.traits`` or ``events.properties``).
        declared: The declared type; None reads the value as what it looks like.

    Returns:
        None for a missing value (JSON null); otherwise the typed value. A value that
        does not fit its declared type gives a :class:`TypedValue` with every typed
        column empty: the trait exists, but no comparison matches it.
    """
    if value is None:
        return None
    if declared is None:
        return _infer(value)
    kind = declared.value
    if declared is TraitType.TEXT:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = _number(value)
            value = _format_number(number) if number is not None else None
        return TypedValue(kind, text=_text(value))
    if declared is TraitType.NUMBER:
        return TypedValue(kind, number=_number(value))
    if declared is TraitType.TIME:
        return TypedValue(kind, time=parse_time(value))
    if declared is TraitType.BOOL:
        return TypedValue(kind, flag=_flag(value))
    return TypedValue(kind, text=_list(value))


def _infer(value: Any) -> TypedValue:
    if isinstance(value, bool):
        return TypedValue(TraitType.BOOL.value, flag=value)
    if isinstance(value, (int, float)):
        return TypedValue(TraitType.NUMBER.value, number=_number(value))
    if isinstance(value, str):
        return TypedValue(TraitType.TEXT.value, text=_text(value), time=parse_time(value))
    listed = _list(value)
    if listed is not None:
        return TypedValue(TraitType.LIST.value, text=listed)
    return TypedValue("other")


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH or "\x00" in value:
        # PostgreSQL text cannot hold NUL; refusing it here keeps both databases equal.
        return None
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond a double's range
        return None
    return number if math.isfinite(number) else None


def _format_number(number: float) -> str:
    return str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _list(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    if any(LIST_SEPARATOR in item or "\x00" in item for item in value):
        return None
    encoded = encode_list(value)
    return encoded if len(encoded) <= MAX_TEXT_LENGTH else None
