"""Events as Segment's Tracking API spec defines them, so existing SDKs can send them.

On the wire every field is camelCase (``messageId``, ``userId``); in Python it is
snake_case (``message_id``, ``user_id``). Unknown top-level fields (``channel``,
``version``, ...) are ignored, as Segment clients send extras; known fields are typed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from msgspec import Meta
from msgspec.structs import force_setattr

from .errors import ModelError
from .identifiers import MAX_IDENTIFIER_LENGTH, parse_identifiers

__all__ = ["Event", "EventType", "decode_batch", "decode_event"]


class EventType(StrEnum):
    """The six calls of the Segment spec."""

    TRACK = "track"
    IDENTIFY = "identify"
    PAGE = "page"
    SCREEN = "screen"
    GROUP = "group"
    ALIAS = "alias"


# Some SDKs send ids as JSON numbers and some send `null` for an empty object. The
# wire accepts both and `__post_init__` turns them into `str` and `{}`, so type
# checkers are shown the types the attributes hold once the struct exists.
if TYPE_CHECKING:
    _WireId = str
    _WireDict = dict[str, Any]
else:
    _WireId = Annotated[str, Meta(max_length=MAX_IDENTIFIER_LENGTH)] | int
    _WireDict = dict[str, Any] | None

_ID_FIELDS = {
    "user_id": "userId",
    "anonymous_id": "anonymousId",
    "group_id": "groupId",
    "previous_id": "previousId",
}
_DICT_FIELDS = ("properties", "traits", "context", "integrations")
_TIME_FIELDS = ("timestamp", "original_timestamp", "sent_at", "received_at")


class Event(msgspec.Struct, kw_only=True, frozen=True, rename="camel", omit_defaults=True):
    """One track, identify, page, screen, group or alias call.

    Attributes:
        type: Which call this is.
        message_id: The idempotency key. SDKs always send one; when absent,
            :meth:`ensure_message_id` assigns one at ingestion.
        timestamp: When the event happened, by the sender's clock.
        original_timestamp: The device time before any clock-skew correction.
        sent_at: When the sender's SDK sent the event (or the batch holding it).
        received_at: When the hub received it; set by ingestion.
        user_id: The sender's id for a known user (numbers become strings).
        anonymous_id: The sender's id for a visitor before identification.
        event: The name of a track call, e.g. ``"Order Completed"``.
        name: The name of a page or screen.
        properties: Properties of a track, page or screen call.
        traits: Traits of the user (identify) or the group (group).
        context: Everything else the SDK knows: ``library``, ``device``, ``os``,
            ``ip``, ``traits``, and the Junction extension ``identifiers``.
        integrations: Per-destination switches, passed through untouched.
        group_id: The group of a group call.
        previous_id: The id an alias call links to ``user_id``.
        category: The category of a page call.
        write_key: The source's write key when sent in the body; authentication
            reads it, the model ignores it.

    Datetimes without an offset are taken as UTC, as Segment does. Empty ids are
    taken as absent, and ``null`` objects as empty.

    Raises:
        ModelError: When a field has the wrong type or a rule of the spec is broken:
            track needs ``event``; alias needs ``previousId`` and ``userId``; group
            needs ``groupId``; every call needs ``userId`` or ``anonymousId``.
    """

    type: EventType
    message_id: str | None = None
    timestamp: datetime | None = None
    original_timestamp: datetime | None = None
    sent_at: datetime | None = None
    received_at: datetime | None = None
    user_id: _WireId | None = None
    anonymous_id: _WireId | None = None
    event: str | None = None
    name: str | None = None
    properties: _WireDict = {}
    traits: _WireDict = {}
    context: _WireDict = {}
    integrations: _WireDict = {}
    group_id: _WireId | None = None
    previous_id: _WireId | None = None
    category: str | None = None
    write_key: str | None = None

    def __post_init__(self) -> None:
        if type(self.type) is not EventType:
            try:
                force_setattr(self, "type", EventType(self.type))
            except ValueError:
                raise ModelError(f"Invalid enum value {self.type!r}", "$.type") from None
        for name, wire_name in _ID_FIELDS.items():
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool):
                force_setattr(self, name, str(value))
            elif value == "":
                force_setattr(self, name, None)
            elif isinstance(value, str) and len(value) > MAX_IDENTIFIER_LENGTH:
                raise ModelError(
                    f"Expected `str` of length <= {MAX_IDENTIFIER_LENGTH}", f"$.{wire_name}"
                )
        for name in _DICT_FIELDS:
            if getattr(self, name) is None:
                force_setattr(self, name, {})
        for name in _TIME_FIELDS:
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                force_setattr(self, name, value.replace(tzinfo=UTC))
        self._check_rules()
        if (declared := self.context.get("identifiers")) is not None:
            parse_identifiers(declared, "$.context.identifiers")

    def _check_rules(self) -> None:
        # A missing field is reported at the event, like msgspec's own "missing
        # required field" errors; the message names the field as it is spelled on the wire.
        kind = self.type
        if kind is EventType.TRACK and not self.event:
            raise ModelError("`event` is required for a track call")
        if kind is EventType.ALIAS:
            if self.previous_id is None:
                raise ModelError("`previousId` is required for an alias call")
            if self.user_id is None:
                raise ModelError("`userId` is required for an alias call")
        if kind is EventType.GROUP and self.group_id is None:
            raise ModelError("`groupId` is required for a group call")
        if self.user_id is None and self.anonymous_id is None:
            raise ModelError("either `userId` or `anonymousId` is required")

    def ensure_message_id(self) -> Event:
        """Return this event if it has a ``message_id``, else a copy with a new UUID4."""
        if self.message_id:
            return self
        return msgspec.structs.replace(self, message_id=str(uuid.uuid4()))


class _Batch(msgspec.Struct, kw_only=True, rename="camel"):
    """The body of ``/v1/batch``: events plus fields that apply to all of them."""

    batch: list[Event]
    sent_at: datetime | None = None
    context: _WireDict = {}
    integrations: _WireDict = {}
    write_key: str | None = None

    def __post_init__(self) -> None:
        if self.sent_at is not None and self.sent_at.tzinfo is None:
            force_setattr(self, "sent_at", self.sent_at.replace(tzinfo=UTC))
        for name in ("context", "integrations"):
            if getattr(self, name) is None:
                force_setattr(self, name, {})
        if (declared := self.context.get("identifiers")) is not None:
            parse_identifiers(declared, "$.context.identifiers")


_event_decoder = msgspec.json.Decoder(Event)
_batch_decoder = msgspec.json.Decoder(_Batch | list[Event])


def decode_event(data: bytes | str | dict[str, Any], *, type: EventType | None = None) -> Event:
    """Decode one event from JSON, or from a dict shaped like that JSON (camelCase keys).

    Args:
        data: The request body of ``/v1/track`` and its siblings, or its parsed form.
        type: The call the endpoint implies (``/v1/track`` -> track). It replaces the
            body's ``type``, which callers of those endpoints may leave out.

    Raises:
        ModelError: Naming the first invalid field, e.g. at ``$.timestamp``.
    """
    try:
        if type is not None:
            body = data if isinstance(data, dict) else msgspec.json.decode(data, type=dict)
            return msgspec.convert({**body, "type": type.value}, Event)
        if isinstance(data, dict):
            return msgspec.convert(data, Event)
        return _event_decoder.decode(data)
    except msgspec.MsgspecError as exc:
        raise ModelError.from_msgspec(exc) from exc


def decode_batch(data: bytes | str | dict[str, Any] | list[Any]) -> list[Event]:
    """Decode the body of ``/v1/batch``: ``{"batch": [...], "sentAt": ..., ...}``.

    A bare JSON array of events is accepted too. The envelope's ``sentAt`` and
    ``writeKey`` fill in events that lack their own (analytics-python and
    rudder-sdk-python put ``sentAt`` only on the envelope), and its ``context`` and
    ``integrations`` apply to every event, the event's own keys winning.

    Raises:
        ModelError: For the first invalid event, located in the batch, e.g.
            ``str(error) == "batch[3]: `event` is required for a track call"``.
            The whole batch is refused, so a client retrying it cannot duplicate
            the events that were valid.
    """
    try:
        if isinstance(data, dict | list):
            decoded = msgspec.convert(data, _Batch | list[Event])
        else:
            decoded = _batch_decoder.decode(data)
    except msgspec.MsgspecError as exc:
        error = ModelError.from_msgspec(exc)
        if isinstance(data, list) or error.path.startswith("$["):
            # A bare array is the batch itself: report its entries as in an envelope.
            error = error.under("$.batch")
        raise error from exc
    if isinstance(decoded, list):
        return decoded
    for event in decoded.batch:
        _inherit(event, decoded)
    return decoded.batch


def _inherit(event: Event, envelope: _Batch) -> None:
    # The events were decoded a moment ago and nothing else holds them yet, so they
    # are completed in place rather than copied (and re-validated) one by one.
    if event.sent_at is None and envelope.sent_at is not None:
        force_setattr(event, "sent_at", envelope.sent_at)
    if event.write_key is None and envelope.write_key is not None:
        force_setattr(event, "write_key", envelope.write_key)
    if envelope.context:
        force_setattr(event, "context", {**envelope.context, **event.context})
    if envelope.integrations:
        force_setattr(event, "integrations", {**envelope.integrations, **event.integrations})
