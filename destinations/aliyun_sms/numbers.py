"""Phone numbers as Aliyun SMS takes them.

The hub hands over E.164 (``+8613800138000``). Aliyun wants mainland numbers as the
bare 11 digits and international numbers as country code + number without ``+``
(``85291234567``); the mainland form is the one every example in its docs uses.
"""

from __future__ import annotations

import re

__all__ = ["InvalidNumber", "to_aliyun"]

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_MAINLAND = re.compile(r"^\+861\d{10}$")


class InvalidNumber(ValueError):
    """Raised when an address is not an E.164 number Aliyun can take."""


def to_aliyun(e164: str) -> str:
    """``e164`` in Aliyun's form; raises InvalidNumber naming what is wrong."""
    if not _E164.match(e164):
        raise InvalidNumber(f"{_mask(e164)} is not an E.164 number (+ country code, digits)")
    if e164.startswith("+86"):
        if not _MAINLAND.match(e164):
            raise InvalidNumber(f"{_mask(e164)} is not an 11-digit mainland China mobile number")
        return e164[3:]
    return e164[1:]


def _mask(number: str) -> str:
    """Enough of a number to recognise it in a dead letter, not enough to use it."""
    return number[:5] + "…" if len(number) > 5 else "the number"
