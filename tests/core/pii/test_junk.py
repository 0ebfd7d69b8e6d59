"""The junk filter: placeholders are never identifiers."""

from __future__ import annotations

import pytest

from junction.core.model.identifiers import IdentifierType
from junction.core.pii import JUNK_VALUES, is_junk

PLACEHOLDERS = [
    "",
    "   ",
    "null",
    "NULL",
    " Null ",
    "none",
    "None",
    "undefined",
    "nil",
    "NIL",
    "0",
    " 0 ",
    "-1",
    "unknown",
    "UNKNOWN",
    "[object Object]",
    "[OBJECT OBJECT]",
]


@pytest.mark.parametrize("type", list(IdentifierType))
@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_placeholders_are_junk_for_every_type(type: IdentifierType, value: str) -> None:
    assert is_junk(type, value)


def test_junk_values_are_stored_trimmed_and_lower_case() -> None:
    assert all(value == value.strip().lower() for value in JUNK_VALUES)


@pytest.mark.parametrize(
    "type",
    [
        IdentifierType.IDFA,
        IdentifierType.IDFV,
        IdentifierType.OAID,
        IdentifierType.IMEI,
        IdentifierType.ANDROID_ID,
        IdentifierType.DEVICE_ID,
        "idfa",
    ],
)
@pytest.mark.parametrize(
    "value", ["00000000-0000-0000-0000-000000000000", "000000000000000", "0000", "--", " 00-0 "]
)
def test_all_zero_device_ids_are_junk(type: str, value: str) -> None:
    assert is_junk(type, value)


@pytest.mark.parametrize("type", [IdentifierType.USER_ID, IdentifierType.PHONE, "caid"])
def test_zeros_are_only_junk_for_device_types(type: str) -> None:
    assert not is_junk(type, "0000")


@pytest.mark.parametrize(
    ("type", "value"),
    [
        (IdentifierType.USER_ID, "null-user"),
        (IdentifierType.USER_ID, "10"),
        (IdentifierType.EMAIL, "none@example.com"),
        (IdentifierType.IDFA, "FF1999CD-7177-4937-A474-74937A102630"),
        (IdentifierType.IDFA, "00000000-0000-0000-0000-000000000001"),
        (IdentifierType.PHONE, "13800138000"),
        ("caid", "unknown-device"),
    ],
)
def test_real_values_are_not_junk(type: str, value: str) -> None:
    assert not is_junk(type, value)
