"""Plain records of one profile's events, orders and consents, for Python-side computing.

The in-memory evaluator and the reference aggregates read these; the database
computes the same things set-based.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

__all__ = ["ConsentRecord", "EventRecord", "OrderRecord"]


class ConsentRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One consent decision (``id`` breaks ties between decisions of the same instant)."""

    id: int
    purpose: str
    status: str
    recorded_at: datetime


class EventRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One event (``id`` breaks ties between events of the same instant)."""

    id: int
    name: str | None
    timestamp: datetime
    properties: dict[str, Any] = {}


class OrderRecord(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    amount: Decimal
    created_at: datetime
