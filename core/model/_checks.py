"""Checks shared by the structs' ``__post_init__``.

msgspec enforces ``Meta`` constraints (lengths, patterns, ``tz=True``) only while
decoding or converting. These checks repeat the ones that matter in ``__post_init__``,
which also runs when a struct is built in Python, so an invalid object cannot exist.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from msgspec import Meta

from .errors import ModelError

#: A datetime that must carry a timezone. Naive values are ambiguous (UTC? the
#: shop's local time?), so the internal model refuses them instead of guessing.
AwareDatetime = Annotated[datetime, Meta(tz=True)]


def check_aware(value: datetime, path: str) -> None:
    """Raise :class:`ModelError` unless ``value`` is a timezone-aware datetime."""
    if not isinstance(value, datetime):
        raise ModelError(f"Expected `datetime`, got `{type(value).__name__}`", path)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ModelError("Expected `datetime` with a timezone component", path)


def check_text(value: str, path: str, *, max_length: int | None = None) -> None:
    """Raise :class:`ModelError` unless ``value`` is a non-empty str within ``max_length``."""
    if not isinstance(value, str):
        raise ModelError(f"Expected `str`, got `{type(value).__name__}`", path)
    if not value:
        raise ModelError("Expected `str` of length >= 1", path)
    if max_length is not None and len(value) > max_length:
        raise ModelError(f"Expected `str` of length <= {max_length}", path)


def check_decimal(value: Decimal, path: str) -> None:
    """Raise :class:`ModelError` unless ``value`` is a finite Decimal.

    msgspec decodes the strings ``"NaN"`` and ``"Infinity"`` into Decimals, and a NaN
    amount would poison every sum it enters, so they are refused here.
    """
    if not isinstance(value, Decimal):
        raise ModelError(f"Expected `decimal`, got `{type(value).__name__}`", path)
    if not value.is_finite():
        raise ModelError(f"Expected a finite `decimal`, got `{value}`", path)
