"""Identifier rules: the hub's ``prepare`` gives exactly Tencent's published values.

Vectors copied from shared/platforms/tencent-ads.md §5 "Worked examples" ("verified":
published by Tencent and recomputed; "computed": from the documented rule).
"""

from __future__ import annotations

import pytest

from junction.core.pii import InvalidIdentifier, PiiRegistry, prepare
from junction.destinations.tencent_ads import CATALOG, DEFAULT_RULES, TencentAds
from junction.plugins import Hashing

from .common import sha256

OAID = "1fe9a970-efbb-29e0-0bdd-f5dbbf751ab5"
IDFA = "FF1999CD-7177-4937-A474-74937A102630"

# (user_id_type, raw input, expected output)
VECTORS = [
    ("HASH_IDFA", IDFA, "2c010ed96aef2fc34983e1e7e9176b7e"),  # verified
    ("HASH_IDFA", IDFA.lower(), "2c010ed96aef2fc34983e1e7e9176b7e"),  # upper-cased first
    ("HASH_IMEI", "a000002c9060f7", "f2d5a650733ca8c27d502b1c08da14e5"),  # verified (MEID)
    ("HASH_IMEI", "868049039501257", "8d3ebd3654fb46a2832296669cf1b536"),  # verified
    ("HASH_IMEI", "A000002C9060F7", "f2d5a650733ca8c27d502b1c08da14e5"),  # lower-cased first
    ("HASH_OAID", OAID, "83e9158a4fb54c0e1ef0b238639a23ae"),  # verified
    (
        "MD5_SHA256_OAID",
        OAID,
        "a58f9fffa86c12e6fb43f5232a46d53ef06196f4be138d185a09b1294c736c50",  # verified
    ),
    ("HASH_MOBILE_PHONE", "+86 138-0013-8000", "7945bd83237335e5376ff44d62e4f0ae"),  # computed
    ("HASH_MOBILE_PHONE", "13800138000", "7945bd83237335e5376ff44d62e4f0ae"),
    (
        "SHA256_MOBILE_PHONE",
        "13800138000",
        "a6942f9771d67f34034d2f1926988ed3fad3bf1b4e7cedb9a31f31398dea43bc",  # computed
    ),
    ("IDFA", IDFA.lower(), IDFA),
    ("IMEI", "86-804903-950125-7", "868049039501257"),
    ("OAID", f" {OAID} ", OAID),  # kept as issued: no case change
    ("WECHAT_OPENID", " oAbCdEfGhIjKlMnOpQrStUvWxYz0 ", "oAbCdEfGhIjKlMnOpQrStUvWxYz0"),
]


@pytest.mark.parametrize(
    ("name", "raw", "expected"), VECTORS, ids=[f"{v[0]}:{v[1]}" for v in VECTORS]
)
def test_prepare_gives_tencents_value(name: str, raw: str, expected: str) -> None:
    rule = CATALOG[name].rule
    assert prepare(raw, rule) == expected
    assert CATALOG[name].valid(expected), "the connector's own check must take it"


def test_md5_sha256_types_hash_the_lowercase_md5_hex() -> None:
    # tencent-ads.md §5: MD5_SHA256_IDFA = SHA-256 of the lower-case MD5 hex of the
    # upper-case IDFA; so it chains from the verified HASH_IDFA vector.
    expected = sha256("2c010ed96aef2fc34983e1e7e9176b7e")
    assert prepare(IDFA.lower(), CATALOG["MD5_SHA256_IDFA"].rule) == expected
    assert CATALOG["MD5_SHA256_IDFA"].rule.hashing is Hashing.MD5_SHA256
    imei = sha256("8d3ebd3654fb46a2832296669cf1b536")
    assert prepare("868049039501257", CATALOG["MD5_SHA256_IMEI"].rule) == imei


def test_idfa_hyphens_are_kept() -> None:
    # The negative check of §5: hashing without hyphens gives 7999d1ff..., not Tencent's.
    assert not prepare(IDFA, CATALOG["HASH_IDFA"].rule).startswith("7999d1ff")


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("HASH_MOBILE_PHONE", "+1 650 555 1212"),  # not a mainland number
        ("HASH_MOBILE_PHONE", "010 1234 5678"),  # a Beijing landline
        ("HASH_IMEI", "12345"),
        ("HASH_IDFA", "00000000-0000-0000-0000-000000000000"),  # tracking denied
        ("HASH_MOBILE_PHONE", "7945bd83237335e5376ff44d62e4f0ae"),  # already a digest
    ],
)
def test_values_tencent_cannot_match_are_refused(name: str, raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        PiiRegistry().prepare(raw, CATALOG[name].rule)


def test_the_spec_declares_one_confirmed_rule_per_identifier_type() -> None:
    accepts = TencentAds.spec.accepts
    assert accepts == DEFAULT_RULES
    assert len({rule.type for rule in accepts}) == len(accepts)
    assert {rule.type: rule.platform_key for rule in accepts} == {
        "phone": "HASH_MOBILE_PHONE",
        "idfa": "HASH_IDFA",
        "imei": "HASH_IMEI",
        "oaid": "HASH_OAID",
        "wechat_openid": "WECHAT_OPENID",
        "wechat_unionid": "WX_UNIONID",
    }
    # Each names the registry normalizer its rule in §5 needs, never the type default
    # by accident (phones must be 11 digits, not E.164).
    assert {rule.type: rule.normalizer for rule in accepts}["phone"] == "cn_mobile"
    assert all(rule.platform_key in CATALOG for rule in accepts)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HASH_MOBILE_PHONE", "13800138000"),  # unhashed
        ("HASH_MOBILE_PHONE", "7945BD83237335E5376FF44D62E4F0AE"),  # upper-case digest
        ("HASH_MOBILE_PHONE", "a6942f9771d67f34034d2f1926988ed3fad3bf1b4e7cedb9a31f31398dea43bc"),
        ("SHA256_MOBILE_PHONE", "7945bd83237335e5376ff44d62e4f0ae"),  # an MD5 in a SHA file
        ("IDFA", IDFA.lower()),
        ("OAID", "two words"),
        ("WX_UNIONID", "line\nbreak"),
    ],
)
def test_the_connector_refuses_values_not_in_the_exact_form(name: str, value: str) -> None:
    assert not CATALOG[name].valid(value)
