from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest

from junction.core.model import Event, EventType, ModelError, decode_batch, decode_event

CST = timezone(timedelta(hours=8))

# What analytics-python 2.x puts on the wire for
# `analytics.track("u-1", "Order Completed", {...}, integrations={...})`.
ANALYTICS_PYTHON_TRACK = b"""{
  "integrations": {"All": true, "Mixpanel": false},
  "anonymousId": null,
  "properties": {"order_id": "50314b8e", "revenue": 25.0, "products": [{"sku": "45790-32"}]},
  "timestamp": "2024-05-01T10:20:30.123+08:00",
  "context": {"library": {"name": "analytics-python", "version": "2.3.2"}},
  "userId": "u-1",
  "type": "track",
  "event": "Order Completed",
  "messageId": "6f6e3e2c-2b83-4ae4-8d4c-6d3f0a1b2c3d"
}"""


def rudder_batch(*events: dict[str, Any]) -> bytes:
    """A /v1/batch body as rudder-sdk-python sends it: sentAt only on the envelope."""
    batch = [{"channel": "server", "messageId": str(uuid.uuid4()), **e} for e in events]
    return json.dumps({"batch": batch, "sentAt": "2024-05-01T02:20:31.000000+00:00"}).encode()


def test_decodes_an_analytics_python_track_call() -> None:
    event = decode_event(ANALYTICS_PYTHON_TRACK)

    assert event.type is EventType.TRACK
    assert event.event == "Order Completed"
    assert event.message_id == "6f6e3e2c-2b83-4ae4-8d4c-6d3f0a1b2c3d"
    assert event.user_id == "u-1"
    assert event.anonymous_id is None
    assert event.timestamp == datetime(2024, 5, 1, 10, 20, 30, 123000, tzinfo=CST)
    assert event.timestamp.utcoffset() == timedelta(hours=8)
    assert event.properties["products"] == [{"sku": "45790-32"}]
    assert event.context["library"] == {"name": "analytics-python", "version": "2.3.2"}
    assert event.integrations == {"All": True, "Mixpanel": False}


def test_decodes_a_rudder_sdk_batch_of_every_call_type() -> None:
    body = rudder_batch(
        {"type": "track", "anonymousId": "anon-1", "event": "Signed Up"},
        {"type": "identify", "userId": "u-1", "traits": {"email": "a@example.com"}},
        {"type": "page", "userId": "u-1", "name": "Pricing", "category": "Docs"},
        {"type": "screen", "userId": "u-1", "name": "Home"},
        {"type": "group", "userId": "u-1", "groupId": "g-1", "traits": {"plan": "pro"}},
        {"type": "alias", "userId": "u-1", "previousId": "anon-1"},
    )

    events = decode_batch(body)

    assert [e.type for e in events] == list(EventType)
    assert events[2].name == "Pricing"
    assert events[2].category == "Docs"
    assert events[4].group_id == "g-1"
    assert events[5].previous_id == "anon-1"
    # The envelope's sentAt reaches every event, for clock-skew correction.
    assert {e.sent_at for e in events} == {datetime(2024, 5, 1, 2, 20, 31, tzinfo=UTC)}


def test_batch_envelope_context_applies_to_every_event_but_events_win() -> None:
    body = {
        "batch": [
            {"type": "identify", "userId": "u-1", "context": {"ip": "10.0.0.2"}},
            {"type": "identify", "userId": "u-2", "sentAt": "2024-01-01T00:00:00Z"},
        ],
        "context": {"ip": "10.0.0.1", "locale": "zh-CN"},
        "integrations": {"All": False},
        "sentAt": "2024-05-01T00:00:00Z",
        "writeKey": "wk-1",
    }

    first, second = decode_batch(body)

    assert first.context == {"ip": "10.0.0.2", "locale": "zh-CN"}
    assert second.context == {"ip": "10.0.0.1", "locale": "zh-CN"}
    assert first.integrations == {"All": False}
    assert second.sent_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert first.write_key == second.write_key == "wk-1"


def test_a_bare_array_is_a_batch_too() -> None:
    events = decode_batch(b'[{"type": "identify", "userId": "u-1"}]')

    assert [e.user_id for e in events] == ["u-1"]


@pytest.mark.parametrize(
    ("field", "attribute"),
    [
        ("userId", "user_id"),
        ("anonymousId", "anonymous_id"),
        ("groupId", "group_id"),
        ("previousId", "previous_id"),
    ],
)
def test_numeric_ids_become_strings(field: str, attribute: str) -> None:
    body: dict[str, Any] = {"type": "alias", "userId": "u", "previousId": "p", "groupId": "g"}
    body[field] = 9007199254740993  # beyond float precision: must stay exact

    event = decode_event(body)

    assert getattr(event, attribute) == "9007199254740993"


def test_datetimes_without_offset_are_utc_as_in_segment() -> None:
    event = decode_event(
        b'{"type": "identify", "userId": "u", "timestamp": "2024-05-01T10:20:30",'
        b' "originalTimestamp": "2024-05-01 10:20:29", "receivedAt": "2024-05-01T10:20:31Z"}'
    )

    assert event.timestamp == datetime(2024, 5, 1, 10, 20, 30, tzinfo=UTC)
    assert event.original_timestamp == datetime(2024, 5, 1, 10, 20, 29, tzinfo=UTC)
    assert event.received_at == datetime(2024, 5, 1, 10, 20, 31, tzinfo=UTC)


def test_unknown_top_level_fields_are_ignored_but_known_ones_are_typed() -> None:
    event = decode_event(
        {"type": "identify", "userId": "u", "channel": "server", "version": 2, "_meta": {}}
    )
    assert event.user_id == "u"

    with pytest.raises(ModelError) as caught:
        decode_event({"type": "identify", "userId": "u", "traits": ["not", "an", "object"]})
    assert caught.value.path == "$.traits"


def test_null_objects_are_empty_and_empty_ids_absent() -> None:
    event = decode_event(
        {"type": "page", "userId": "u", "anonymousId": "", "properties": None, "context": None}
    )

    assert event.properties == {}
    assert event.context == {}
    assert event.anonymous_id is None


def test_a_dict_decodes_like_the_same_json() -> None:
    as_dict = json.loads(ANALYTICS_PYTHON_TRACK)

    assert decode_event(as_dict) == decode_event(ANALYTICS_PYTHON_TRACK)


def test_the_endpoint_can_imply_the_type() -> None:
    body = b'{"userId": "u", "event": "Clicked", "type": "page"}'

    event = decode_event(body, type=EventType.TRACK)

    assert event.type is EventType.TRACK
    assert event.event == "Clicked"


def test_encodes_back_to_the_camel_case_wire_format() -> None:
    event = decode_event(ANALYTICS_PYTHON_TRACK)

    wire = json.loads(msgspec.json.encode(event))

    assert wire["messageId"] == event.message_id
    assert wire["userId"] == "u-1"
    assert "anonymousId" not in wire  # unset fields are left out
    assert decode_event(msgspec.json.encode(event)) == event


def test_ensure_message_id_assigns_a_uuid4_only_when_missing() -> None:
    event = decode_event({"type": "identify", "userId": "u"})

    assigned = event.ensure_message_id()

    assert event.message_id is None  # events are immutable
    assert uuid.UUID(assigned.message_id or "").version == 4
    assert assigned.ensure_message_id() is assigned
    assert assigned.user_id == "u"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"type": "track", "userId": "u"}, "`event` is required for a track call"),
        ({"type": "track", "userId": "u", "event": ""}, "`event` is required for a track call"),
        ({"type": "alias", "userId": "u"}, "`previousId` is required for an alias call"),
        (
            {"type": "alias", "anonymousId": "a", "previousId": "p"},
            "`userId` is required for an alias call",
        ),
        ({"type": "group", "userId": "u"}, "`groupId` is required for a group call"),
        ({"type": "identify", "traits": {}}, "either `userId` or `anonymousId` is required"),
        ({"type": "page", "userId": ""}, "either `userId` or `anonymousId` is required"),
    ],
)
def test_a_broken_rule_names_the_field_and_the_batch_index(
    event: dict[str, Any], message: str
) -> None:
    valid = {"type": "identify", "userId": "u"}

    with pytest.raises(ModelError) as caught:
        decode_batch(rudder_batch(valid, valid, event))

    assert caught.value.path == "$.batch[2]"
    assert caught.value.message == message
    assert str(caught.value) == f"batch[2]: {message}"


@pytest.mark.parametrize(
    ("patch", "path", "message"),
    [
        ({"event": 3}, "$.batch[1].event", "Expected `str | null`, got `int`"),
        ({"userId": True}, "$.batch[1].userId", "Expected `int | str | null`, got `bool`"),
        ({"userId": "x" * 513}, "$.batch[1].userId", "Expected `str` of length <= 512"),
        ({"timestamp": "yesterday"}, "$.batch[1].timestamp", "Invalid RFC3339 encoded datetime"),
        ({"type": "Track"}, "$.batch[1].type", "Invalid enum value 'Track'"),
        (
            {"context": {"device": {}, "identifiers": {}}},
            "$.batch[1].context.identifiers",
            "Expected `array`, got `object`",
        ),
    ],
)
def test_a_wrongly_typed_field_is_located_exactly(
    patch: dict[str, Any], path: str, message: str
) -> None:
    event = {"type": "track", "userId": "u", "event": "E", **patch}

    with pytest.raises(ModelError) as caught:
        decode_batch([{"type": "identify", "userId": "u"}, event])

    assert (caught.value.path, caught.value.message) == (path, message)


def test_a_single_event_error_is_located_from_the_root() -> None:
    with pytest.raises(ModelError) as caught:
        decode_event(b'{"type": "track", "userId": "u", "event": "E", "timestamp": 1.5}')

    assert caught.value.path == "$.timestamp"
    assert str(caught.value) == "timestamp: Expected `datetime | null`, got `float`"


@pytest.mark.parametrize(
    ("decode", "body", "path"),
    [
        (decode_event, b"{not json", "$"),
        (decode_event, b'{"type": "track"', "$"),
        (decode_event, b"[]", "$"),
        (decode_batch, b'{"batch": {}}', "$.batch"),
        (decode_batch, b'{"batch": [], "sentAt": "soon"}', "$.sentAt"),
    ],
)
def test_malformed_bodies_raise_model_error_not_msgspec_errors(
    decode: Callable[[bytes], object], body: bytes, path: str
) -> None:
    with pytest.raises(ModelError) as caught:
        decode(body)

    assert caught.value.path == path
    assert isinstance(caught.value, ValueError)


def test_events_built_in_python_obey_the_same_rules() -> None:
    assert Event(type=EventType.IDENTIFY, user_id="u").user_id == "u"

    with pytest.raises(ModelError, match="`event` is required for a track call"):
        Event(type=EventType.TRACK, user_id="u")
    with pytest.raises(ModelError) as caught:
        Event(type="nope", user_id="u")  # type: ignore[arg-type]
    assert caught.value.path == "$.type"
