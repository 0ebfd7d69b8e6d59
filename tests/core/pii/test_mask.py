"""Masking for display and logs."""

from __future__ import annotations

import pytest

from junction.core.model.identifiers import IdentifierType
from junction.core.pii import PiiRegistry, mask, mask_email, mask_id, mask_phone


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+8613812345678", "CN", "138****5678"),
        ("13812345678", "CN", "138****5678"),
        ("+86 138-1234-5678", "US", "138****5678"),
        ("+16502530000", "CN", "+1******0000"),
        ("(650) 253-0000", "US", "+1******0000"),
        ("+442079460000", "CN", "+44******0000"),
        ("010-12345678", "CN", "+86******5678"),
        ("+39 06 6982 1234", "CN", "+39******1234"),  # Italian leading zero kept
    ],
)
def test_mask_phone(raw: str, region: str, expected: str) -> None:
    assert mask_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345", "***"),
        ("not a phone number", "not***er"),
        ("", ""),
    ],
)
def test_mask_phone_falls_back_to_generic(raw: str, expected: str) -> None:
    assert mask_phone(raw) == expected


def test_mask_phone_never_raises_on_a_bad_region() -> None:
    assert mask_phone("13812345678", "XX") == "138***78"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("john.doe@example.com", "j***@example.com"),
        ("  J@Example.com ", "J***@Example.com"),
        ("a@b@example.com", "a***@example.com"),
        ("@example.com", "@ex***om"),
        ("nope", "***"),
    ],
)
def test_mask_email(raw: str, expected: str) -> None:
    assert mask_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("FF1999CD-7177-4937-A474-74937A102630", "FF1***30"),
        ("oAbCdEfGh1234", "oAb***34"),
        ("1234567890", "123***90"),
        ("123456789", "***"),
        ("ab", "***"),
        ("   ", ""),
    ],
)
def test_mask_id(raw: str, expected: str) -> None:
    assert mask_id(raw) == expected


@pytest.mark.parametrize(
    ("type", "raw", "expected"),
    [
        (IdentifierType.PHONE, "+8613812345678", "138****5678"),
        ("email", "john.doe@example.com", "j***@example.com"),
        (IdentifierType.IDFA, "FF1999CD-7177-4937-A474-74937A102630", "FF1***30"),
        ("caid", "0123456789abcdef0123456789abcdef", "012***ef"),
        # A hashed value is shown like any other id.
        ("email", "509e933019bb285a134a9334b8bb679dff79d0ce023d529af4bd744d47b4fd8a", "509***8a"),
    ],
)
def test_mask_by_type(type: str, raw: str, expected: str) -> None:
    assert mask(type, raw) == expected


def test_registry_mask_uses_its_region() -> None:
    assert PiiRegistry(default_region="US").mask("phone", "(650) 253-0000") == "+1******0000"
    assert PiiRegistry().mask("phone", "(650) 253-0000") == "(65***00"
