"""Decoding the /sa form fields and checking records, without a server."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from junction.core.model import IdentifierType
from junction.plugins import EventRecord, ProfileRecord
from junction.sources.sensors.mapping import to_record
from junction.sources.sensors.records import RecordError, parse_record
from junction.sources.sensors.wire import (
    MAX_DECODED_BYTES,
    MAX_RECORDS,
    WireError,
    decode_payload,
    js_hash,
)

SPEC_BASE64 = (
    "eyJ0eXBlIjoidHJhY2siLCJldmVudCI6IlZpZXdQcm9kdWN0IiwiZGlzdGluY3RfaWQiOiJ1MSIsInRpbWUiOjE0"
    "MzQ1NTY5MzUwMDAsInByb3BlcnRpZXMiOnsiJGxpYiI6ImpzIn19"
)


def test_the_crc_is_the_browser_sdks_hash_of_the_spec_example() -> None:
    assert js_hash(SPEC_BASE64) == -1555519168
    assert js_hash("") == 0


def test_a_crc_among_other_ext_facts_is_checked() -> None:
    payload = decode_payload({"data": SPEC_BASE64, "ext": "v=1&crc=-1555519168"})
    assert payload.records[0]["distinct_id"] == "u1"
    with pytest.raises(WireError, match="altered in transit"):
        decode_payload({"data": SPEC_BASE64, "ext": "crc=5"})


def test_an_unescaped_plus_read_as_a_space_is_restored() -> None:
    text = base64.b64encode(json.dumps({"k": "~~~"}).encode()).decode()
    assert "+" in text
    assert decode_payload({"data": text.replace("+", " ")}).records == [{"k": "~~~"}]


def test_a_single_record_may_come_as_an_array() -> None:
    data = base64.b64encode(b'[{"a":1}]').decode()
    payload = decode_payload({"data": data})
    assert (payload.records, payload.where(0)) == ([{"a": 1}], "data")


def test_too_many_records_are_refused() -> None:
    records = [{"n": n} for n in range(MAX_RECORDS + 1)]
    data = base64.b64encode(json.dumps(records).encode()).decode()
    with pytest.raises(WireError, match=f"at most {MAX_RECORDS}"):
        decode_payload({"data_list": data})


def test_a_gzip_bomb_is_refused_before_it_fills_memory() -> None:
    bomb = gzip.compress(b"[" + b" " * (MAX_DECODED_BYTES + 10) + b"]")
    with pytest.raises(WireError, match="send fewer records") as caught:
        decode_payload({"data_list": base64.b64encode(bomb).decode(), "gzip": "1"})
    assert caught.value.code == "payload_too_large"


def test_an_unknown_gzip_flag_is_refused() -> None:
    with pytest.raises(WireError, match="must be 1 or 0"):
        decode_payload({"data": SPEC_BASE64, "gzip": "yes"})


def record(**changes: Any) -> dict[str, Any]:
    return {"type": "track", "event": "E", "distinct_id": "d", "time": 1714552215123, **changes}


def test_ten_digit_seconds_are_scaled_like_the_sdks_do() -> None:
    assert parse_record(record(time=1714552215)).time_ms == 1714552215000
    for bad in (17145522151, "1714552215123", True, -1714552215123):
        with pytest.raises(RecordError) as caught:
            parse_record(record(time=bad))
        assert caught.value.field == "time"


def test_numeric_ids_become_strings() -> None:
    assert parse_record(record(distinct_id=12345)).distinct_id == "12345"


def test_the_older_login_and_anonymous_id_fields_are_read() -> None:
    mapped = to_record(parse_record(record(login_id="u-1", anonymous_id="dev-1")))
    assert isinstance(mapped, EventRecord)
    assert (mapped.event.user_id, mapped.event.anonymous_id) == ("u-1", "dev-1")


def test_a_profile_without_login_flag_is_keyed_by_the_anonymous_id() -> None:
    raw = {"type": "profile_set", "distinct_id": "dev-3", "time": 1714552215123}
    mapped = to_record(parse_record({**raw, "properties": {"Age": 3}}))
    assert isinstance(mapped, ProfileRecord)
    assert [(i.type, i.value) for i in mapped.identifiers] == [
        (IdentifierType.ANONYMOUS_ID, "dev-3")
    ]


def test_flush_time_does_not_change_the_message_id() -> None:
    first = to_record(parse_record(record(_flush_time=1714552215200)))
    later = to_record(parse_record(record(_flush_time=1714552299999)))
    other = to_record(parse_record(record(event="F")))
    assert isinstance(first, EventRecord) and isinstance(later, EventRecord)
    assert isinstance(other, EventRecord)
    assert first.event.message_id == later.event.message_id != other.event.message_id


def test_event_is_refused_on_profile_records() -> None:
    with pytest.raises(RecordError, match="only allowed on track records"):
        parse_record(record(type="profile_set"))
