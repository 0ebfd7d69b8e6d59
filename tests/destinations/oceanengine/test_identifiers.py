"""Each identifier rule the connector declares turns the spec's raw values into exactly
the ids Ocean Engine expects (oceanengine.md §4-§5), and those ids encode to the
documented line and pass the platform's format checks."""

from __future__ import annotations

import base64
import hashlib

import pytest

from junction.core.pii import InvalidIdentifier, prepare
from junction.destinations.oceanengine import OceanEngineAudiences
from junction.destinations.oceanengine.protobuf import DataType, encode_line
from junction.destinations.oceanengine.upload import member_items
from junction.plugins import Hashing, Member, PreparedIdentifier

from ...fakes.oceanengine import ApiError, decode_dmp_data

RULES = {rule.platform_key: rule for rule in OceanEngineAudiences.spec.accepts}


def test_declared_rules_are_one_per_type_with_the_documented_hashing() -> None:
    # The sync engine keys rules by identifier type: one data type per hub type.
    assert {(r.type, r.platform_key, r.hashing, r.normalizer) for r in RULES.values()} == {
        ("phone", "MOBILE_HASH_SHA256", Hashing.SHA256, "cn_mobile"),
        ("imei", "IMEI_MD5", Hashing.MD5, None),
        ("idfa", "IDFA", Hashing.NONE, "device_lower"),
        ("oaid", "OAID_MD5", Hashing.MD5, None),
    }
    assert all(key in DataType.__members__ for key in RULES)


@pytest.mark.parametrize(
    ("platform_key", "raw", "expected"),
    [
        # §4 worked example: SHA-256 of the 11-digit number, no +86.
        ("MOBILE_HASH_SHA256", "13800138000",
         "a6942f9771d67f34034d2f1926988ed3fad3bf1b4e7cedb9a31f31398dea43bc"),
        ("MOBILE_HASH_SHA256", "+86 138-0013-8000",
         "a6942f9771d67f34034d2f1926988ed3fad3bf1b4e7cedb9a31f31398dea43bc"),
        ("MOBILE_HASH_SHA256", "8613800138000",
         "a6942f9771d67f34034d2f1926988ed3fad3bf1b4e7cedb9a31f31398dea43bc"),
        # §5.1, the Tencent-verified IMEI vector: MD5 of the lower-case IMEI.
        ("IMEI_MD5", "868049039501257", "8d3ebd3654fb46a2832296669cf1b536"),
        ("IMEI_MD5", " 86-8049-0395-01257 ", "8d3ebd3654fb46a2832296669cf1b536"),
        # §5.2: the raw IDFA, lower-cased (the proto wants lower-case ids).
        ("IDFA", "FF1999CD-7177-4937-A474-74937A102630", "ff1999cd-7177-4937-a474-74937a102630"),
        # §5.3: MD5 of the raw OAID (computed).
        ("OAID_MD5", "a1b2c3d4-0000-1111-2222-333344445555", "e77aa26dfb6f0678c7189401c142e1cb"),
    ],
)  # fmt: skip
def test_prepare_gives_the_platforms_value(platform_key: str, raw: str, expected: str) -> None:
    assert prepare(raw, RULES[platform_key]) == expected


@pytest.mark.parametrize(
    ("platform_key", "raw"),
    [
        ("MOBILE_HASH_SHA256", "12345"),  # not a mainland mobile
        ("MOBILE_HASH_SHA256", "+1 415 555 0100"),
        ("IMEI_MD5", "0000000000000000"),  # junk device id
        ("IDFA", "00000000-0000-0000-0000-000000000000"),
    ],
)
def test_values_the_platform_cannot_match_are_refused(platform_key: str, raw: str) -> None:
    with pytest.raises(InvalidIdentifier):
        prepare(raw, RULES[platform_key])


def member(platform_key: str, value: str) -> Member:
    identifier = PreparedIdentifier(type="x", value=value, platform_key=platform_key)
    return Member(key="k", identifiers=(identifier,))


def test_a_prepared_phone_encodes_to_the_specs_line() -> None:
    value = prepare("13800138000", RULES["MOBILE_HASH_SHA256"])
    items = member_items(member("MOBILE_HASH_SHA256", value))
    assert not isinstance(items, str)
    assert encode_line(items) == (
        "CkQQBhpAYTY5NDJmOTc3MWQ2N2YzNDAzNGQyZjE5MjY5ODhlZDNmYWQzYmYxYjRlN2NlZGI5YTMxZjMx"
        "Mzk4ZGVhNDNiYw=="
    )


@pytest.mark.parametrize(
    ("platform_key", "raw"),
    [
        ("MOBILE_HASH_SHA256", "13800138000"),
        ("IMEI_MD5", "868049039501257"),
        ("IDFA", "FF1999CD-7177-4937-A474-74937A102630"),
        ("OAID_MD5", "a1b2c3d4-0000-1111-2222-333344445555"),
    ],
)
def test_prepared_values_pass_the_fakes_format_checks(platform_key: str, raw: str) -> None:
    value = prepare(raw, RULES[platform_key])
    items = member_items(member(platform_key, value))
    assert not isinstance(items, str)
    line = base64.b64decode(encode_line(items))
    assert decode_dmp_data(line) == [(platform_key, value)]


@pytest.mark.parametrize(
    ("platform_key", "value", "problem"),
    [
        ("MOBILE_HASH_SHA256", "13800138000", "64 lower-case hex"),  # unhashed phone
        ("MOBILE_HASH_SHA256", "A6942F9771D67F34034D2F1926988ED3FAD3BF1B4E7CEDB9A31F31398DEA43BC",
         "64 lower-case hex"),
        ("IMEI_MD5", hashlib.sha256(b"868049039501257").hexdigest(), "32 lower-case hex"),
        ("OAID_MD5", "8D3EBD3654FB46A2832296669CF1B536", "32 lower-case hex"),
        ("IDFA", "FF1999CD-7177-4937-A474-74937A102630", "lower-case device id"),
        ("EMAIL_SHA256", "a" * 64, "no Ocean Engine data type"),
        (None, "a" * 64, "no Ocean Engine data type"),
    ],
)  # fmt: skip
def test_member_items_refuse_what_the_platform_would(
    platform_key: str | None, value: str, problem: str
) -> None:
    identifier = PreparedIdentifier(type="phone", value=value, platform_key=platform_key)
    reason = member_items(Member(key="k", identifiers=(identifier,)))
    assert isinstance(reason, str) and problem in reason


def test_the_fake_refuses_the_same_values_on_its_own() -> None:
    # An uppercase digest slipped past the plugin would fail the platform's parse.
    item = b"\x10\x06\x1a\x40" + b"A6942F9771D67F34034D2F1926988ED3FAD3BF1B4E7CEDB9A31F31398DEA43BC"
    with pytest.raises(ApiError, match="lower-case"):
        decode_dmp_data(b"\x0a" + bytes([len(item)]) + item)
    item = b"\x10\x06\x1a\x0b" + b"13800138000"
    with pytest.raises(ApiError, match="not a valid MOBILE_HASH_SHA256"):
        decode_dmp_data(b"\x0a" + bytes([len(item)]) + item)
