"""Placeholder values that systems write where an identifier is missing.

Linking on "null" or on an all-zero IDFA would merge every person who has no real
identifier into one profile, so these values are never identifiers.
"""

from __future__ import annotations

from junction.core.model.identifiers import IdentifierType

__all__ = ["JUNK_VALUES", "is_junk", "is_zero_device_id"]

#: Compared after trimming and lower-casing.
JUNK_VALUES: frozenset[str] = frozenset(
    {"", "null", "none", "undefined", "nil", "0", "-1", "unknown", "[object object]"}
)

#: Types whose all-zero value means "no id": iOS reports an all-zero IDFA when the
#: user denies tracking, and some Android builds report a zero OAID or IMEI.
DEVICE_TYPES: frozenset[IdentifierType] = frozenset(
    {
        IdentifierType.IDFA,
        IdentifierType.IDFV,
        IdentifierType.OAID,
        IdentifierType.IMEI,
        IdentifierType.ANDROID_ID,
        IdentifierType.DEVICE_ID,
    }
)


def is_zero_device_id(value: str) -> bool:
    """True when ``value`` holds nothing but zeros, hyphens and whitespace."""
    return not value.strip().strip("0-")


def is_junk(type: IdentifierType | str, value: str) -> bool:
    """Whether ``value`` is a placeholder rather than an identifier of ``type``.

    Junk: empty or whitespace, ``null``, ``none``, ``undefined``, ``nil``, ``0``,
    ``-1``, ``unknown`` and ``[object Object]`` (case-insensitive, trimmed) for any
    type, plus all-zero values of device id types
    ("00000000-0000-0000-0000-000000000000").
    """
    if value.strip().lower() in JUNK_VALUES:
        return True
    return type in DEVICE_TYPES and is_zero_device_id(value)
