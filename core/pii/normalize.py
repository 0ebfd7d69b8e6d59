"""Named normalizers: the canonical form of each identifier type, before any hashing.

A normalizer is a plain function ``str -> str`` that raises :class:`InvalidIdentifier`
for a value it can't normalize. Built-ins:

===================  ==========================================================
``e164``             phone → "+8613800138000" (default region configurable)
``e164_digits``      phone → "8613800138000" (Meta)
``cn_mobile``        mainland mobile → "13800138000" (Tencent, Ocean Engine)
``email_lower``      trimmed, lower-cased e-mail; dots and ``+tags`` kept
``gmail_canonical``  ``email_lower``, then Gmail dots and ``+tag`` removed (opt-in)
``device_upper``     trimmed, upper-cased device id (Tencent IDFA, hyphens kept)
``device_lower``     trimmed, lower-cased device id (Ocean Engine, Meta MADID)
``imei``             14-16 digits, or a 14-hex-digit MEID, lower-cased
``trim``             surrounding whitespace removed
===================  ==========================================================

:class:`~junction.core.pii.PiiRegistry` holds them by name, so a plugin can add its own.
"""

from __future__ import annotations

import re

from junction.core.model.identifiers import IdentifierType

from ._types import Normalizer
from .errors import InvalidIdentifier
from .junk import is_zero_device_id
from .phone import cn_mobile, make_e164, make_e164_digits

__all__ = [
    "DEFAULT_NORMALIZERS",
    "GMAIL_DOMAINS",
    "InvalidIdentifier",
    "Normalizer",
    "builtin_normalizers",
    "cn_mobile",
    "default_normalizer",
    "device_lower",
    "device_upper",
    "email_lower",
    "gmail_canonical",
    "imei",
    "make_e164",
    "make_e164_digits",
    "trim",
]

#: The normalizer each type uses when a rule names none. Phones are E.164 and e-mails
#: lower-cased because that is what the hub hashes for matching (DESIGN: Identity);
#: IDFA/IDFV upper-cased because Apple prints them so and Tencent hashes them so.
DEFAULT_NORMALIZERS: dict[IdentifierType, str] = {
    IdentifierType.PHONE: "e164",
    IdentifierType.EMAIL: "email_lower",
    IdentifierType.IDFA: "device_upper",
    IdentifierType.IDFV: "device_upper",
    IdentifierType.OAID: "trim",
    IdentifierType.ANDROID_ID: "trim",
    IdentifierType.DEVICE_ID: "trim",
    IdentifierType.IMEI: "imei",
    IdentifierType.USER_ID: "trim",
    IdentifierType.ANONYMOUS_ID: "trim",
    IdentifierType.WECHAT_OPENID: "trim",
    IdentifierType.WECHAT_UNIONID: "trim",
}

#: Domains where Google ignores dots and ``+tags`` in the local part.
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

_IMEI = re.compile(r"[0-9]{14,16}|[0-9a-f]{14}")
_IMEI_SEPARATORS = re.compile(r"[\s-]+")


def default_normalizer(type: IdentifierType | str) -> str:
    """The built-in default normalizer name of ``type``; ``trim`` for unknown types."""
    try:
        return DEFAULT_NORMALIZERS[IdentifierType(type)]
    except ValueError:
        return "trim"


def trim(value: str) -> str:
    """Strip surrounding whitespace.

    Raises:
        InvalidIdentifier: When nothing is left.
    """
    text = value.strip()
    if not text:
        raise InvalidIdentifier(f"value {value!r} is empty")
    return text


def email_lower(value: str) -> str:
    """Trim and lower-case an e-mail address, keeping dots and ``+tags``.

    Google's Customer Match guide and Meta both match on this form. Inner whitespace
    is refused rather than removed: "john doe@x.com" is no address, and guessing
    "johndoe@x.com" could match someone else.

    Raises:
        InvalidIdentifier: Unless there is exactly one "@" with text on both sides
            and no whitespace inside.
    """
    text = value.strip().lower()
    local, at, domain = text.partition("@")
    if not at or "@" in domain:
        raise InvalidIdentifier(f"email {value!r} must contain exactly one '@'")
    if not local or not domain:
        raise InvalidIdentifier(f"email {value!r} needs text before and after '@'")
    if any(char.isspace() for char in text):
        raise InvalidIdentifier(f"email {value!r} contains whitespace")
    return text


def gmail_canonical(value: str) -> str:
    """``email_lower``, then for Gmail drop the local part's dots and ``+tag``.

    Google's Data Manager formatting guide asks for this (google-ads.md DM-7:
    "cloudy.sanfrancisco+shopping@gmail.com" → "cloudysanfrancisco@gmail.com");
    the older Customer Match guide does not, so it is opt-in per rule, never a
    default. Other domains are left as ``email_lower`` leaves them.

    Raises:
        InvalidIdentifier: As ``email_lower``, or when nothing of the local part
            is left ("+tag@gmail.com").
    """
    text = email_lower(value)
    local, _, domain = text.partition("@")
    if domain not in GMAIL_DOMAINS:
        return text
    local = local.partition("+")[0].replace(".", "")
    if not local:
        raise InvalidIdentifier(f"email {value!r} has an empty Gmail local part")
    return f"{local}@{domain}"


def _device_id(value: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidIdentifier(f"device id {value!r} is empty")
    if is_zero_device_id(text):
        raise InvalidIdentifier(f"device id {value!r} is all zeros")
    return text


def device_upper(value: str) -> str:
    """Trim and upper-case a device id, keeping hyphens (Tencent ``HASH_IDFA``).

    Raises:
        InvalidIdentifier: When empty or only zeros and hyphens.
    """
    return _device_id(value).upper()


def device_lower(value: str) -> str:
    """Trim and lower-case a device id, keeping hyphens (Ocean Engine, Meta ``MADID``).

    Raises:
        InvalidIdentifier: When empty or only zeros and hyphens.
    """
    return _device_id(value).lower()


def imei(value: str) -> str:
    """Compact an IMEI: spaces and hyphens removed, letters lower-cased.

    Accepts 14 to 16 digits (IMEI without or with its check digit, IMEISV) and
    14 hex digits (a CDMA MEID, which Tencent ``HASH_IMEI`` takes lower-cased).

    Raises:
        InvalidIdentifier: On any other shape, or when all zeros.
    """
    text = _IMEI_SEPARATORS.sub("", value).lower()
    if not _IMEI.fullmatch(text):
        raise InvalidIdentifier(f"imei {value!r} must be 14 to 16 digits or a 14-hex-digit MEID")
    if is_zero_device_id(text):
        raise InvalidIdentifier(f"imei {value!r} is all zeros")
    return text


def builtin_normalizers(default_region: str = "CN") -> dict[str, Normalizer]:
    """A fresh name → normalizer table of the built-ins.

    Raises:
        ConfigError: When ``default_region`` is not a known region code.
    """
    return {
        "e164": make_e164(default_region),
        "e164_digits": make_e164_digits(default_region),
        "cn_mobile": cn_mobile,
        "email_lower": email_lower,
        "gmail_canonical": gmail_canonical,
        "device_upper": device_upper,
        "device_lower": device_lower,
        "imei": imei,
        "trim": trim,
    }
