"""Events as rows of the ``events`` table, and the checks that keep a row storable.

The table stores what the sender sent (``properties``, ``traits``, ``context`` as
received; nothing added to ``context``), the name of the call (``event`` for track,
``name`` for page and screen), the times from :mod:`junction.core.ingest.timing`, and
``profile_id`` NULL with ``resolution`` 0 so ID-mapping picks the row up after commit.

An alias call's ``previousId`` and a group call's ``groupId`` have their own columns.
A page or screen call's ``category`` has none and is kept in ``properties`` (where
analytics.js puts it too) unless the properties already name one. ``integrations``
(per-destination switches for Segment's cloud) are not stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from junction.core.ingest.timing import correct_timing
from junction.core.model import Event, EventType, ModelError

__all__ = ["MAX_LENGTHS", "check_no_nul", "check_storable", "event_row"]

#: Column widths of ``events``, by wire name: a longer value would make PostgreSQL
#: refuse the whole group commit, so it is refused up front with a 400 instead.
MAX_LENGTHS = {
    "messageId": 200,
    "userId": 255,
    "anonymousId": 255,
    "previousId": 255,
    "groupId": 255,
    "event": 200,
    "name": 200,
}
_ATTRIBUTES = {
    "messageId": "message_id",
    "userId": "user_id",
    "anonymousId": "anonymous_id",
    "previousId": "previous_id",
    "groupId": "group_id",
    "event": "event",
    "name": "name",
}
# PostgreSQL can store neither NUL in text nor the escape "\u0000" in jsonb.
_NUL_ESCAPE = b"\\u0000"


def check_storable(event: Event) -> None:
    """Refuse what the model accepts but the ``events`` table cannot hold.

    Raises:
        ModelError: located at the field, e.g. ``$.userId`` for a user id longer than
            255 characters, or ``$.properties.note`` for a string holding a NUL.
    """
    for wire, limit in MAX_LENGTHS.items():
        value = getattr(event, _ATTRIBUTES[wire])
        if value is not None and len(value) > limit:
            raise ModelError(f"Expected `str` of length <= {limit}", f"$.{wire}")
    check_no_nul(event)


def check_no_nul(value: Any) -> None:
    """Refuse a struct or document holding the character NUL anywhere.

    Raises:
        ModelError: located at the first string holding it, as a JSONPath of
            ``value``'s wire form, e.g. ``$.properties.note``.
    """
    if _NUL_ESCAPE in msgspec.json.encode(value):
        path = _find_nul(msgspec.to_builtins(value), "$") or "$"
        raise ModelError("NUL characters (\\u0000) cannot be stored", path)


def _find_nul(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                return f"{path}.{key.replace(chr(0), '')}"
            if found := _find_nul(item, f"{path}.{key}"):
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if found := _find_nul(item, f"{path}[{index}]"):
                return found
    return None


def event_row(source_id: int, event: Event, received_at: datetime) -> dict[str, Any]:
    """The ``events`` row for ``event`` received at ``received_at`` for ``source_id``.

    ``event`` must have a ``message_id`` (see :meth:`Event.ensure_message_id`).
    """
    timing = correct_timing(event, received_at)
    kind = event.type
    name = event.event if kind is EventType.TRACK else None
    if kind in (EventType.PAGE, EventType.SCREEN):
        name = event.name
    return {
        "source_id": source_id,
        "message_id": event.message_id,
        "type": kind.value,
        "name": name,
        "user_id": event.user_id,
        "anonymous_id": event.anonymous_id,
        "previous_id": event.previous_id,
        "group_id": event.group_id,
        "profile_id": None,
        "resolution": 0,
        "timestamp": timing.timestamp,
        "original_timestamp": timing.original_timestamp,
        "sent_at": timing.sent_at,
        "received_at": timing.received_at,
        "properties": _properties(event),
        "traits": event.traits,
        "context": event.context,
    }


def _properties(event: Event) -> dict[str, Any]:
    properties = event.properties
    if event.category is not None and "category" not in properties:
        return {**properties, "category": event.category}
    return properties
