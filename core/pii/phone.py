"""Phone normalizers built on Google's libphonenumber (the ``phonenumbers`` package).

Every platform wants a phone in a slightly different shape: Google the E.164 string
with its ``+``, Meta the same digits without it, Tencent and Ocean Engine the bare
11-digit mainland number. All of them start from one parse and one validity check,
so a number one platform refuses is refused by all.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType

from junction.core.errors import ConfigError

from ._types import Normalizer
from .errors import InvalidIdentifier

__all__ = ["check_region", "cn_mobile", "make_e164", "make_e164_digits", "parse_phone"]

_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def check_region(region: str) -> str:
    """Return ``region`` upper-cased if libphonenumber knows it.

    Raises:
        ConfigError: When ``region`` is not a supported ISO 3166-1 alpha-2 code.
    """
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(
            f"unknown phone region {region!r}: expected an ISO 3166-1 alpha-2 code "
            "such as 'CN' or 'US'"
        )
    return code


def parse_phone(value: str, region: str) -> PhoneNumber:
    """Parse and validate a phone number written in any common format.

    Args:
        value: The number as received ("13800138000", "+86 138-0013-8000", ...).
        region: Where numbers without an international prefix are dialled.

    Raises:
        InvalidIdentifier: When the text is not a phone number, or is one that
            libphonenumber's metadata says can't exist (wrong length or prefix).
    """
    text = value.strip()
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        # With a leading "+" the region played no part, so don't blame it.
        where = "" if text.startswith("+") else f" for region {region}"
        raise InvalidIdentifier(f"phone {value!r} is not a valid number{where}")
    return number


def make_e164(default_region: str = "CN") -> Normalizer:
    """Build the ``e164`` normalizer: "13800138000" → "+8613800138000".

    An extension ("ext. 5") is dropped: E.164 has no room for one, and the line
    itself is what platforms match on.

    Raises:
        ConfigError: When ``default_region`` is unknown.
    """
    region = check_region(default_region)

    def e164(value: str) -> str:
        return phonenumbers.format_number(parse_phone(value, region), PhoneNumberFormat.E164)

    return e164


def make_e164_digits(default_region: str = "CN") -> Normalizer:
    """Build the ``e164_digits`` normalizer: "+86 138-0013-8000" → "8613800138000".

    Meta hashes this form. Re-normalizing the output is only safe for numbers of the
    default region: without its ``+``, "16502530000" reads as a CN number again.

    Raises:
        ConfigError: When ``default_region`` is unknown.
    """
    e164 = make_e164(default_region)

    def e164_digits(value: str) -> str:
        return e164(value).removeprefix("+")

    return e164_digits


def cn_mobile(value: str) -> str:
    """The ``cn_mobile`` normalizer: a mainland mobile as 11 digits, "13800138000".

    Tencent (``HASH_MOBILE_PHONE``, ``SHA256_MOBILE_PHONE``) and Ocean Engine
    (``MOBILE_HASH_SHA256``) hash this form. Numbers are read as Chinese whatever the
    registry's default region, since nothing else can be sent in this shape.

    Raises:
        InvalidIdentifier: When the number is invalid, or not a mainland mobile.
    """
    number = parse_phone(value, "CN")
    if number.country_code != 86 or phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidIdentifier(f"phone {value!r} is not a mainland China mobile number")
    return phonenumbers.national_significant_number(number)
