"""PiiRegistry: named normalizers, per-type defaults, region, and the default instance."""

from __future__ import annotations

import pytest

import junction.core.pii as pii
from junction.core.errors import ConfigError
from junction.core.model.identifiers import IdentifierType
from junction.core.pii import InvalidIdentifier, PiiRegistry, default_registry
from junction.plugins.spec import Hashing, IdentifierRule

BUILTINS = {
    "e164",
    "e164_digits",
    "cn_mobile",
    "email_lower",
    "gmail_canonical",
    "device_upper",
    "device_lower",
    "imei",
    "trim",
}


def test_builtins_are_registered() -> None:
    assert PiiRegistry().names == BUILTINS


def test_default_instance() -> None:
    assert isinstance(default_registry, PiiRegistry)
    assert default_registry.default_region == "CN"


def test_public_names_are_exported() -> None:
    assert set(pii.__all__) <= set(dir(pii))
    assert {"PiiRegistry", "default_registry", "InvalidIdentifier", "prepare", "mask"} <= set(
        pii.__all__
    )


def test_normalize_uses_the_types_default() -> None:
    registry = PiiRegistry()
    assert registry.normalize(IdentifierType.PHONE, "138 0013 8000") == "+8613800138000"
    assert registry.normalize("email", " A.B@Example.COM ") == "a.b@example.com"
    assert registry.normalize("idfa", "ff1999cd-7177-4937-a474-74937a102630") == (
        "FF1999CD-7177-4937-A474-74937A102630"
    )
    assert registry.normalize("oaid", " Abc-Def ") == "Abc-Def"
    assert registry.normalize("imei", "86-804903-950125-7") == "868049039501257"
    assert registry.normalize("wechat_unionid", " oU1x ") == "oU1x"


def test_normalize_with_a_named_normalizer() -> None:
    registry = PiiRegistry()
    assert registry.normalize("phone", "13800138000", "cn_mobile") == "13800138000"
    assert registry.normalize("idfa", "FF19-AB", "device_lower") == "ff19-ab"


@pytest.mark.parametrize(
    ("type", "value", "message"),
    [
        ("user_id", "null", "user_id 'null' is a placeholder, not an identifier"),
        ("email", " undefined ", "email ' undefined ' is a placeholder, not an identifier"),
        (
            IdentifierType.IDFA,
            "00000000-0000-0000-0000-000000000000",
            "idfa '00000000-0000-0000-0000-000000000000' is a placeholder, not an identifier",
        ),
        ("phone", "0", "phone '0' is a placeholder, not an identifier"),
    ],
)
def test_normalize_refuses_junk(type: str, value: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        PiiRegistry().normalize(type, value)
    assert str(caught.value) == message


def test_is_junk() -> None:
    assert PiiRegistry().is_junk("user_id", "[object Object]")
    assert not PiiRegistry().is_junk("user_id", "u-1")


def test_register_a_plugin_normalizer() -> None:
    registry = PiiRegistry()
    registry.register("mac_upper", lambda value: value.strip().replace(":", "").upper())
    assert "mac_upper" in registry.names
    rule = IdentifierRule(type="mac", hashing=Hashing.MD5, normalizer="mac_upper")
    # tencent-ads.md §5 legacy HASH_MAC vector.
    assert registry.prepare("02:00:00:00:00:00", rule) == "e3f5536a141811db40efd6400f1d0a4e"


def test_registrations_do_not_leak_between_registries() -> None:
    registry = PiiRegistry()
    registry.register("custom", str.strip)
    assert "custom" not in PiiRegistry().names
    assert "custom" not in default_registry.names


def test_register_refuses_taken_names_unless_replacing() -> None:
    registry = PiiRegistry()
    with pytest.raises(ConfigError, match="normalizer 'trim' is already registered"):
        registry.register("trim", str.strip)
    registry.register("trim", str.upper, replace=True)
    assert registry.normalize("user_id", "abc") == "ABC"


@pytest.mark.parametrize("name", ["", "Upper", "9x", "with-dash", "a b"])
def test_register_refuses_bad_names(name: str) -> None:
    with pytest.raises(ConfigError, match="must be snake_case"):
        PiiRegistry().register(name, str.strip)


def test_unknown_normalizer_is_a_config_error() -> None:
    registry = PiiRegistry()
    with pytest.raises(ConfigError, match="unknown normalizer 'upper'; known: cn_mobile, "):
        registry.normalizer("upper")
    with pytest.raises(ConfigError, match="unknown normalizer"):
        registry.normalize("email", "a@example.com", "upper")


def test_set_default() -> None:
    registry = PiiRegistry()
    assert registry.default_for("email") == "email_lower"
    registry.set_default(IdentifierType.EMAIL, "gmail_canonical")
    assert registry.default_for("email") == "gmail_canonical"
    assert registry.normalize("email", "a.b+c@gmail.com") == "ab@gmail.com"
    assert PiiRegistry().default_for("email") == "email_lower"
    with pytest.raises(ConfigError, match="unknown normalizer"):
        registry.set_default("email", "nope")


def test_unknown_types_default_to_trim() -> None:
    registry = PiiRegistry()
    assert registry.default_for("caid") == "trim"
    registry.set_default("caid", "device_lower")
    assert registry.normalize("caid", " ABC ") == "abc"


def test_default_region() -> None:
    registry = PiiRegistry(default_region="us")
    assert registry.default_region == "US"
    assert registry.normalize("phone", "(650) 253-0000") == "+16502530000"
    registry.default_region = "CN"
    assert registry.normalize("phone", "13800138000") == "+8613800138000"
    assert registry.normalize("phone", "13800138000", "e164_digits") == "8613800138000"
    with pytest.raises(InvalidIdentifier, match="for region CN"):
        registry.normalize("phone", "(650) 253-0000")


@pytest.mark.parametrize("region", ["XX", "", "USA"])
def test_unknown_region_is_a_config_error(region: str) -> None:
    with pytest.raises(ConfigError, match="unknown phone region"):
        PiiRegistry(default_region=region)
    registry = PiiRegistry()
    with pytest.raises(ConfigError, match="unknown phone region"):
        registry.default_region = region
    assert registry.default_region == "CN"
