"""Source records that are not events, turned into what the hub stores.

Profiles and consents become synthetic ``identify`` events, so they reach ID-mapping
and the traits engine through the same table, in the same order, as SDK traffic.
Orders go to their own table (see :func:`junction.core.ingest.storage.upsert_orders`).

A synthetic event's ``messageId`` is derived from a hash of its record, so a source
that reads the same record twice (after a crash, before its checkpoint) stores it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from junction.core.ingest.rows import MAX_LENGTHS
from junction.core.model import Identifier, IdentifierType, ModelError, Order
from junction.plugins.records import ConsentRecord, ProfileRecord

__all__ = ["check_order_storable", "consent_row", "identifier_dicts", "profile_row"]

# Column limits of ``orders`` and ``order_items`` (Numeric(18, 4), 32-bit quantity).
_MAX_AMOUNT = Decimal(10) ** 14
_MAX_QUANTITY = 2**31 - 1


def identifier_dicts(identifiers: Iterable[Identifier]) -> list[dict[str, str]]:
    """Identifiers as stored: ``[{"type", "value", "scope"}]``, the Junction extension."""
    return [{"type": i.type.value, "value": i.value, "scope": i.scope} for i in identifiers]


def _message_id(kind: str, record: msgspec.Struct) -> str:
    digest = hashlib.sha256(msgspec.json.encode(record, order="sorted")).hexdigest()
    return f"jx-{kind}-{digest[:40]}"


def _first(identifiers: Iterable[Identifier], kind: IdentifierType) -> str | None:
    for identifier in identifiers:
        if identifier.type is kind and len(identifier.value) <= MAX_LENGTHS["userId"]:
            return identifier.value
    return None


def _identify_row(
    source_id: int,
    kind: str,
    record: msgspec.Struct,
    identifiers: tuple[Identifier, ...],
    at: datetime,
    received_at: datetime,
    traits: dict[str, Any],
    context: dict[str, Any],
) -> dict[str, Any]:
    # Built as a row, not an Event: a record may name a person by phone or openid
    # only, while the Event model insists on a userId or anonymousId. Both columns
    # are filled when the record has such identifiers and left NULL otherwise.
    return {
        "source_id": source_id,
        "message_id": _message_id(kind, record),
        "type": "identify",
        "name": None,
        "user_id": _first(identifiers, IdentifierType.USER_ID),
        "anonymous_id": _first(identifiers, IdentifierType.ANONYMOUS_ID),
        "previous_id": None,
        "group_id": None,
        "profile_id": None,
        "resolution": 0,
        "timestamp": at,
        "original_timestamp": at,
        "sent_at": None,
        "received_at": received_at,
        "properties": {},
        "traits": traits,
        "context": {"identifiers": identifier_dicts(identifiers), **context},
    }


def profile_row(source_id: int, record: ProfileRecord, received_at: datetime) -> dict[str, Any]:
    """The synthetic identify event of a profile record.

    ``traits`` go to the event's traits; the identifiers to ``context.identifiers``;
    what an identify call cannot say is kept under ``context.junction`` when present:
    ``traitsOnce`` (set only if the profile has no value yet), ``unset`` (trait names
    to delete) and ``tags``. The event happened at the record's ``observed_at``.
    """
    extra: dict[str, Any] = {}
    if record.traits_once:
        extra["traitsOnce"] = record.traits_once
    if record.unset:
        extra["unset"] = list(record.unset)
    if record.tags:
        extra["tags"] = list(record.tags)
    return _identify_row(
        source_id,
        "profile",
        record,
        record.identifiers,
        record.observed_at,
        received_at,
        traits=dict(record.traits),
        context={"junction": extra} if extra else {},
    )


def consent_row(source_id: int, record: ConsentRecord, received_at: datetime) -> dict[str, Any]:
    """The synthetic identify event of a consent record.

    The decision and its evidence go to ``context.consent``::

        {"purpose": "sms", "status": "granted", "source": "web_signup_form",
         "policyVersion": "2024-05", "ip": "203.0.113.7", "userAgent": "Mozilla/5.0 ...",
         "recordedAt": "2024-05-01T08:00:00+00:00"}

    ``policyVersion``, ``ip`` and ``userAgent`` are ``null`` when unknown; ``recordedAt``
    is ISO 8601 and is also the event's timestamp. A known ``ip`` and ``userAgent`` are
    also set as ``context.ip`` and ``context.userAgent``, where an SDK call carries them
    (and where :mod:`junction.core.consent` reads evidence from). Identifiers go to
    ``context.identifiers``; traits stay empty.
    """
    consent = record.consent
    evidence = consent.evidence
    context: dict[str, Any] = {
        "consent": {
            "purpose": consent.purpose,
            "status": consent.status.value,
            "source": evidence.source,
            "policyVersion": evidence.policy_version,
            "ip": evidence.ip,
            "userAgent": evidence.user_agent,
            "recordedAt": evidence.recorded_at.isoformat(),
        }
    }
    if evidence.ip is not None:
        context["ip"] = evidence.ip
    if evidence.user_agent is not None:
        context["userAgent"] = evidence.user_agent
    return _identify_row(
        source_id,
        "consent",
        record,
        record.identifiers,
        evidence.recorded_at,
        received_at,
        traits={},
        context=context,
    )


def check_order_storable(order: Order) -> None:
    """Refuse an order the ``orders`` and ``order_items`` columns cannot hold.

    Raises:
        ModelError: located at the field, e.g. ``$.items[2].quantity``.
    """
    if len(order.order_id) > 128:
        raise ModelError("Expected `str` of length <= 128", "$.order_id")
    if abs(order.amount) >= _MAX_AMOUNT:
        raise ModelError(f"Expected `decimal` < {_MAX_AMOUNT}", "$.amount")
    for index, item in enumerate(order.items):
        path = f"$.items[{index}]"
        if len(item.sku) > 128:
            raise ModelError("Expected `str` of length <= 128", f"{path}.sku")
        if len(item.name) > 255:
            raise ModelError("Expected `str` of length <= 255", f"{path}.name")
        if item.quantity > _MAX_QUANTITY:
            raise ModelError(f"Expected `int` <= {_MAX_QUANTITY}", f"{path}.quantity")
        if abs(item.unit_price) >= _MAX_AMOUNT:
            raise ModelError(f"Expected `decimal` < {_MAX_AMOUNT}", f"{path}.unit_price")
