"""Phone normalizers: e164, e164_digits, cn_mobile."""

from __future__ import annotations

import pytest

from junction.core.errors import ConfigError
from junction.core.pii import InvalidIdentifier, cn_mobile, make_e164, make_e164_digits


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("13800138000", "CN", "+8613800138000"),
        ("+86 138-0013-8000", "CN", "+8613800138000"),
        ("  138 0013 8000 ", "CN", "+8613800138000"),
        ("8613800138000", "CN", "+8613800138000"),
        ("008613800138000", "CN", "+8613800138000"),
        ("+8613800138000", "US", "+8613800138000"),
        ("010-12345678", "CN", "+861012345678"),
        ("(650) 253-0000", "US", "+16502530000"),
        ("(650) 253-0000", "us", "+16502530000"),
        ("+1 (650) 253-0000 ext. 12", "CN", "+16502530000"),
        ("020 7946 0000", "GB", "+442079460000"),
    ],
)
def test_e164(raw: str, region: str, expected: str) -> None:
    assert make_e164(region)(raw) == expected


def test_e164_defaults_to_china() -> None:
    assert make_e164()("13800138000") == "+8613800138000"


@pytest.mark.parametrize(
    ("raw", "region", "message"),
    [
        ("12345", "CN", "phone '12345' is not a valid number for region CN"),
        ("abc", "CN", "phone 'abc' is not a valid number for region CN"),
        ("", "CN", "phone '' is not a valid number for region CN"),
        ("861380013800", "CN", "phone '861380013800' is not a valid number for region CN"),
        ("13800138000", "US", "phone '13800138000' is not a valid number for region US"),
        ("+86 12345", "US", "phone '+86 12345' is not a valid number"),
        ("+999 1234567", "CN", "phone '+999 1234567' is not a valid number"),
    ],
)
def test_e164_refuses_invalid_numbers(raw: str, region: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        make_e164(region)(raw)
    assert str(caught.value) == message


def test_invalid_identifier_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a valid number"):
        make_e164()("12345")


@pytest.mark.parametrize("region", ["XX", "", "CHN", "china"])
def test_unknown_region_is_a_config_error(region: str) -> None:
    with pytest.raises(ConfigError, match="unknown phone region"):
        make_e164(region)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("13800138000", "CN", "8613800138000"),
        ("+86 138-0013-8000", "CN", "8613800138000"),
        ("8613800138000", "CN", "8613800138000"),
        ("+1 (650) 555-1212", "CN", "16505551212"),
        ("(650) 253-0000", "US", "16502530000"),
    ],
)
def test_e164_digits(raw: str, region: str, expected: str) -> None:
    assert make_e164_digits(region)(raw) == expected


def test_e164_digits_refuses_like_e164() -> None:
    with pytest.raises(InvalidIdentifier, match=r"^phone '12345' is not a valid number"):
        make_e164_digits()("12345")


@pytest.mark.parametrize(
    "raw", ["13800138000", "+86 138-0013-8000", "+8613800138000", "8613800138000"]
)
def test_cn_mobile(raw: str) -> None:
    assert cn_mobile(raw) == "13800138000"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("+16502530000", "phone '+16502530000' is not a mainland China mobile number"),
        ("010-12345678", "phone '010-12345678' is not a mainland China mobile number"),
        ("+852 9123 4567", "phone '+852 9123 4567' is not a mainland China mobile number"),
        ("1380013800", "phone '1380013800' is not a valid number for region CN"),
    ],
)
def test_cn_mobile_refuses_other_numbers(raw: str, message: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        cn_mobile(raw)
    assert str(caught.value) == message
