"""Digests and prepare(): normalize, then hash; pre-hashed values only when declared."""

from __future__ import annotations

import pytest

from junction.core.errors import ConfigError
from junction.core.pii import (
    InvalidIdentifier,
    PiiRegistry,
    digest,
    is_digest,
    md5_hex,
    prepare,
    sha256_hex,
)
from junction.plugins.spec import Hashing, IdentifierRule

EMAIL_SHA256 = IdentifierRule(type="email", hashing=Hashing.SHA256)
IDFA_MD5 = IdentifierRule(type="idfa", hashing=Hashing.MD5)
OPENID_RAW = IdentifierRule(type="wechat_openid")
ALEXZ = "509e933019bb285a134a9334b8bb679dff79d0ce023d529af4bd744d47b4fd8a"


def test_digests_are_lowercase_hex_of_utf8() -> None:
    assert sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e"
    # UTF-8, not some other encoding: "张三" is the 6 bytes e5 bc a0 e4 b8 89.
    assert sha256_hex("张三") == "1d841bc0ee98309cb7916670b7f0fdef5f4c35150711a41405ef3633b56322cf"
    assert md5_hex("张三") == "615db57aa314529aaa0fbe95b3e95bd3"


def test_digest_per_hashing() -> None:
    assert digest("alexz@example.com", Hashing.SHA256) == ALEXZ
    assert digest("x", Hashing.MD5) == md5_hex("x")
    assert digest("Raw Value", Hashing.NONE) == "Raw Value"


def test_md5_sha256_is_sha256_of_the_lowercase_md5_hex() -> None:
    # Tencent Ads MD5_SHA256_IDFA: MD5 of the upper-case IDFA, its lowercase hex SHA-256'd.
    idfa = "FF1999CD-7177-4937-A474-74937A102630"
    assert digest(idfa, Hashing.MD5_SHA256) == sha256_hex(md5_hex(idfa))
    rule = IdentifierRule(type="idfa", hashing=Hashing.MD5_SHA256)
    assert prepare("ff1999cd-7177-4937-a474-74937a102630", rule) == sha256_hex(md5_hex(idfa))


@pytest.mark.parametrize(
    ("value", "hashing", "expected"),
    [
        (ALEXZ, Hashing.SHA256, True),
        (ALEXZ.upper(), Hashing.SHA256, False),
        (ALEXZ[:-1], Hashing.SHA256, False),
        (ALEXZ, Hashing.MD5, False),
        ("2c010ed96aef2fc34983e1e7e9176b7e", Hashing.MD5, True),
        ("2c010ed96aef2fc34983e1e7e9176b7e", Hashing.NONE, False),
    ],
)
def test_is_digest(value: str, hashing: Hashing, expected: bool) -> None:
    assert is_digest(value, hashing) is expected


def test_prepare_normalizes_then_hashes() -> None:
    assert prepare("  AlexZ@Example.com", EMAIL_SHA256) == ALEXZ


def test_prepare_with_hashing_none_returns_the_normalized_value() -> None:
    assert prepare("  oAbc123 ", OPENID_RAW) == "oAbc123"


def test_prepare_uses_the_rules_normalizer_over_the_types_default() -> None:
    rule = IdentifierRule(type="phone", hashing=Hashing.NONE, normalizer="e164_digits")
    assert prepare("13800138000", rule) == "8613800138000"


def test_prepare_type_argument_overrides_rule_type() -> None:
    rule = IdentifierRule(type="hashed_contact", hashing=Hashing.SHA256)
    assert prepare(" AlexZ@example.com", rule, "email") == ALEXZ
    # Unknown types fall back to "trim", so case would be kept.
    assert prepare("AlexZ@example.com", rule) == sha256_hex("AlexZ@example.com")


def test_prepare_refuses_invalid_and_junk_values() -> None:
    with pytest.raises(InvalidIdentifier, match="must contain exactly one '@'"):
        prepare("not-an-email", EMAIL_SHA256)
    with pytest.raises(InvalidIdentifier, match="placeholder"):
        prepare("NULL", EMAIL_SHA256)
    with pytest.raises(InvalidIdentifier, match="placeholder"):
        prepare("00000000-0000-0000-0000-000000000000", IDFA_MD5)


def test_prepare_refuses_unknown_normalizer() -> None:
    rule = IdentifierRule(type="email", normalizer="upper")
    with pytest.raises(ConfigError, match="unknown normalizer 'upper'"):
        prepare("a@example.com", rule)


class TestPrehashed:
    def test_passes_a_matching_digest_through_unchanged(self) -> None:
        assert prepare(ALEXZ, EMAIL_SHA256, prehashed=True) == ALEXZ
        md5 = "2c010ed96aef2fc34983e1e7e9176b7e"
        assert prepare(md5, IDFA_MD5, prehashed=True) == md5

    @pytest.mark.parametrize(
        "value",
        [ALEXZ.upper(), f" {ALEXZ}", ALEXZ[:32], "alexz@example.com", ""],
    )
    def test_refuses_anything_but_the_exact_digest_shape(self, value: str) -> None:
        with pytest.raises(InvalidIdentifier) as caught:
            prepare(value, EMAIL_SHA256, prehashed=True)
        assert str(caught.value) == (
            f"email {value!r} is not a sha256 digest (lowercase hex of the right length)"
        )

    def test_refuses_a_digest_for_a_rule_that_sends_raw_values(self) -> None:
        with pytest.raises(InvalidIdentifier, match="rule sends raw values"):
            prepare(ALEXZ, OPENID_RAW, prehashed=True)

    @pytest.mark.parametrize(
        ("value", "rule"),
        [
            (ALEXZ, EMAIL_SHA256),
            (ALEXZ.upper(), EMAIL_SHA256),
            (f"  {ALEXZ}\n", EMAIL_SHA256),
            # An MD5'd IDFA would pass device_upper and be hashed again, silently.
            ("2c010ed96aef2fc34983e1e7e9176b7e", IDFA_MD5),
            ("2C010ED96AEF2FC34983E1E7E9176B7E", IDFA_MD5),
        ],
    )
    def test_never_hashes_a_digest_twice_silently(self, value: str, rule: IdentifierRule) -> None:
        with pytest.raises(InvalidIdentifier) as caught:
            prepare(value, rule)
        assert str(caught.value) == (
            f"{rule.type} {value!r} looks like a {rule.hashing} digest already; "
            "pass prehashed=True if it is one"
        )

    def test_other_digest_lengths_are_plain_values(self) -> None:
        # A 64-hex OAID (some Android vendors issue them) under an MD5 rule is an id.
        oaid = "a" * 64
        rule = IdentifierRule(type="oaid", hashing=Hashing.MD5)
        assert prepare(oaid, rule) == md5_hex(oaid)


def test_module_prepare_uses_the_default_registry() -> None:
    rule = IdentifierRule(type="phone", hashing=Hashing.NONE)
    assert prepare("13800138000", rule) == PiiRegistry().prepare("13800138000", rule)
