"""Meta's identifier vectors (meta.md §5): each declared rule, run through the hub's own
``junction.core.pii.prepare``, gives exactly the value Meta expects."""

from __future__ import annotations

import hashlib

import pytest

from junction.core.pii import InvalidIdentifier, prepare
from junction.destinations.meta import MetaAudiences
from junction.plugins import Hashing

from .helpers import rule


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


VECTORS = [
    # (type, raw input, expected value, source)
    (
        "email",
        " Test@Example.com ",
        "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b",
        "meta.md §5, SDK-verified",
    ),
    (
        "email",
        "JOHN.Doe+ads@Example.COM",
        sha256("john.doe+ads@example.com"),
        "§5: dots, tags kept",
    ),
    (
        "phone",
        "+1 (650) 555-1212",
        "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176",
        "meta.md §5, SDK-verified multi-key path",
    ),
    # The international prefix is a leading zero run: removed, country code kept.
    (
        "phone",
        "0016505551212",
        "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176",
        "§5: leading zeros removed",
    ),
    # Without a "+", the hub's default region (CN) supplies the country code.
    ("phone", "138 0013 8000", sha256("8613800138000"), "§5: country code prefixed"),
    # A national trunk zero goes: Meta wants country code + national number.
    ("phone", "+44 020 7946 0958", sha256("442079460958"), "§5: digits only, no '+'"),
    (
        "idfa",
        "AECE52E7-03EE-455A-B3C4-E57283966239",
        "aece52e7-03ee-455a-b3c4-e57283966239",
        "meta.md §5: MADID lower-cased, hyphens kept, not hashed",
    ),
    # EXTERN_ID is sent as is (trimmed); the SDK's lower-casing is not Meta's rule (§6).
    ("user_id", " CRM-001 ", "CRM-001", "meta.md §5: EXTERN_ID as-is"),
]


@pytest.mark.parametrize(("kind", "raw", "expected", "source"), VECTORS)
def test_prepare_gives_metas_value(kind: str, raw: str, expected: str, source: str) -> None:
    assert prepare(raw, rule(kind)) == expected, source


def test_rules_declare_metas_keys_and_hashing() -> None:
    declared = {
        r.type: (r.platform_key, r.hashing, r.normalizer) for r in MetaAudiences.spec.accepts
    }
    assert declared == {
        "email": ("EMAIL", Hashing.SHA256, "email_lower"),
        "phone": ("PHONE", Hashing.SHA256, "e164_digits"),
        "idfa": ("MADID", Hashing.NONE, "device_lower"),
        "user_id": ("EXTERN_ID", Hashing.NONE, "trim"),
    }


def test_phone_is_not_the_sdk_raw_hash() -> None:
    # meta.md §6.3: the SDK's PHONE_SHA256 hashes the text as typed (958428...).
    sdk_raw = "958428270a93448985952436d50208f1eebfd8375363d2edeadde244e56364ca"
    assert prepare("+1 (650) 555-1212", rule("phone")) != sdk_raw


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("email", "not-an-address"),
        ("phone", "12"),
        ("idfa", "00000000-0000-0000-0000-000000000000"),
        ("user_id", "   "),
    ],
)
def test_values_meta_cant_match_are_refused_before_sending(kind: str, raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        prepare(raw, rule(kind))
