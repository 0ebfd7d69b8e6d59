"""Phone numbers as Tencent Cloud SMS takes them: E.164 with ``+``.

The hub already hands over E.164; this checks it and tells mainland China numbers from
international ones, because one SendSms call may not mix the two.
"""

from __future__ import annotations

import re

__all__ = ["InvalidNumber", "is_mainland", "to_tencent"]

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_MAINLAND = re.compile(r"^\+861\d{10}$")


class InvalidNumber(ValueError):
    """Raised when an address is not an E.164 number Tencent can take."""


def to_tencent(e164: str) -> str:
    """``e164`` as sent to Tencent; raises InvalidNumber naming what is wrong."""
    if not _E164.match(e164):
        raise InvalidNumber(f"{_mask(e164)} is not an E.164 number (+ country code, digits)")
    if e164.startswith("+86") and not _MAINLAND.match(e164):
        raise InvalidNumber(f"{_mask(e164)} is not an 11-digit mainland China mobile number")
    return e164


def is_mainland(e164: str) -> bool:
    return e164.startswith("+86")


def _mask(number: str) -> str:
    """Enough of a number to recognise it in a dead letter, not enough to use it."""
    return number[:5] + "…" if len(number) > 5 else "the number"
