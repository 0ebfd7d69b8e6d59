"""Reading JSON values as typed trait values: the one function SQL and Python share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from junction.core.traits import TraitType, TypedValue, read_value
from junction.core.traits.values import MAX_TEXT_LENGTH

T = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        (True, TypedValue("bool", flag=True)),
        (3, TypedValue("number", number=3.0)),
        (2.5, TypedValue("number", number=2.5)),
        (10**400, TypedValue("number")),  # beyond a double: exists, compares with nothing
        ("Shanghai", TypedValue("text", text="Shanghai")),
        ("2026-03-01", TypedValue("text", text="2026-03-01", time=T)),
        ("2026-03-01T08:00:00+08:00", TypedValue("text", text="2026-03-01T08:00:00+08:00", time=T)),
        ("20260301", TypedValue("text", text="20260301")),  # a code, not a date
        (["a", "b"], TypedValue("list", text="\x1fa\x1fb\x1f")),
        ([1, 2], TypedValue("other")),
        ({"a": 1}, TypedValue("other")),
        ("x" * (MAX_TEXT_LENGTH + 1), TypedValue("text")),
    ],
)
def test_undeclared_values_are_read_as_what_they_look_like(raw: Any, expected: Any) -> None:
    assert read_value(raw) == expected


@pytest.mark.parametrize(
    ("raw", "declared", "expected"),
    [
        ("42", TraitType.NUMBER, TypedValue("number", number=42.0)),
        ("n/a", TraitType.NUMBER, TypedValue("number")),
        (True, TraitType.NUMBER, TypedValue("number")),
        (7, TraitType.TEXT, TypedValue("text", text="7")),
        (7.5, TraitType.TEXT, TypedValue("text", text="7.5")),
        ("2026-03-01", TraitType.TIME, TypedValue("time", time=T)),
        ("later", TraitType.TIME, TypedValue("time")),
        ("TRUE", TraitType.BOOL, TypedValue("bool", flag=True)),
        (1, TraitType.BOOL, TypedValue("bool")),
        (["a"], TraitType.LIST, TypedValue("list", text="\x1fa\x1f")),
        ("a", TraitType.LIST, TypedValue("list")),
    ],
)
def test_declared_values_are_read_as_their_type_or_not_at_all(
    raw: Any, declared: TraitType, expected: TypedValue
) -> None:
    assert read_value(raw, declared) == expected
