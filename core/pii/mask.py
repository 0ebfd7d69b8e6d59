"""Masking identifiers for display and logs: enough to recognize, not enough to use.

:func:`mask` never raises: it runs while showing or logging bad data too.
"""

from __future__ import annotations

import phonenumbers

from junction.core.model.identifiers import IdentifierType

from .errors import InvalidIdentifier
from .phone import parse_phone

__all__ = ["mask", "mask_email", "mask_id", "mask_phone"]

_STARS = "***"
#: Shorter ids are fully hidden: showing 5 characters of a 9-character id gives away
#: more than half of it.
_MIN_PARTIAL_LENGTH = 10


def mask_id(value: str) -> str:
    """First 3 and last 2 characters of a long id ("FF1***30"), else ``***``.

    An empty value stays empty: there is nothing to hide, and ``***`` would suggest
    there was.
    """
    text = value.strip()
    if not text:
        return ""
    if len(text) < _MIN_PARTIAL_LENGTH:
        return _STARS
    return f"{text[:3]}{_STARS}{text[-2:]}"


def mask_phone(value: str, region: str = "CN") -> str:
    """Mask a phone, written in any format ``region`` can parse.

    Mainland mobiles are shown the way Chinese apps show them, national with the
    middle four digits hidden: "+8613812345678" → "138****5678". Other numbers keep
    their country code and last four digits: "+16502530000" → "+1******0000".
    Unparseable values fall back to :func:`mask_id`.
    """
    try:
        number = parse_phone(value, region)
    except InvalidIdentifier:
        return mask_id(value)
    national = phonenumbers.national_significant_number(number)
    if number.country_code == 86 and len(national) == 11:
        return f"{national[:3]}****{national[-4:]}"
    hidden = "*" * max(len(national) - 4, 0)
    return f"+{number.country_code}{hidden}{national[-4:]}"


def mask_email(value: str) -> str:
    """First character of the local part, then the domain: "j***@example.com".

    Anything that is not ``local@domain`` falls back to :func:`mask_id`.
    """
    text = value.strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        return mask_id(value)
    return f"{local[0]}{_STARS}@{domain}"


def mask(type: IdentifierType | str, value: str, *, region: str = "CN") -> str:
    """Mask ``value`` as its ``type`` is usually shown.

    Args:
        type: The identifier type; unknown types are masked as generic ids.
        value: The raw (or normalized, or hashed) value.
        region: Default region for phones written without a country code.
    """
    if type == IdentifierType.PHONE:
        return mask_phone(value, region)
    if type == IdentifierType.EMAIL:
        return mask_email(value)
    return mask_id(value)
