"""One Sensors record ("one line = one record"), decoded and checked as Sensors checks it.

The rules are those of Sensors' data format and of its SDKs (which refuse the same
things before sending): a known ``type``, a non-empty ``distinct_id`` of at most 255
characters, a ``time`` in milliseconds (10-digit seconds are scaled, as the SDKs do),
variable-name event and property names, and string identity values.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import msgspec

__all__ = ["RecordError", "RecordType", "SensorsRecord", "parse_record"]

MAX_ID_LENGTH = 255
_NAME = re.compile(r"^[a-zA-Z_$][a-zA-Z0-9_$]{0,99}$")
# Names Sensors reserves for its own columns (SDK NAME_PATTERN), case-insensitive.
_RESERVED = re.compile(
    r"^(distinct_id|original_id|time|properties|id|first_id|second_id|users|events|event"
    r"|event_id|device_id|user_id|date|datetime)$|^(user_group|user_tag)",
    re.IGNORECASE,
)


class RecordType(StrEnum):
    TRACK = "track"
    TRACK_SIGNUP = "track_signup"
    TRACK_ID_BIND = "track_id_bind"
    TRACK_ID_UNBIND = "track_id_unbind"
    PROFILE_SET = "profile_set"
    PROFILE_SET_ONCE = "profile_set_once"
    PROFILE_INCREMENT = "profile_increment"
    PROFILE_APPEND = "profile_append"
    PROFILE_UNSET = "profile_unset"
    PROFILE_DELETE = "profile_delete"
    ITEM_SET = "item_set"
    ITEM_DELETE = "item_delete"


#: Record types that carry an ``event`` name.
EVENT_TYPES = frozenset(
    {
        RecordType.TRACK,
        RecordType.TRACK_SIGNUP,
        RecordType.TRACK_ID_BIND,
        RecordType.TRACK_ID_UNBIND,
    }
)
ITEM_TYPES = frozenset({RecordType.ITEM_SET, RecordType.ITEM_DELETE})


class RecordError(Exception):
    """A record Sensors would refuse; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class SensorsRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A record after checking: ids are strings, ``time`` is milliseconds."""

    type: RecordType
    time_ms: int
    distinct_id: str | None = None
    event: str | None = None
    properties: dict[str, Any] = {}
    original_id: str | None = None
    login_id: str | None = None
    anonymous_id: str | None = None
    identities: dict[str, str] = {}
    lib: dict[str, Any] = {}
    project: str | None = None
    item_type: str | None = None
    item_id: str | None = None
    #: The browser SDK's random record id and send time (ms).
    track_id: int | None = None
    flush_time_ms: int | None = None
    #: The record exactly as received, kept with what the hub stores.
    raw: dict[str, Any] = {}

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.time_ms / 1000, UTC)

    @property
    def is_login_id(self) -> bool:
        """``$is_login_id: true`` says ``distinct_id`` is a login (account) id."""
        return self.properties.get("$is_login_id") is True


def parse_record(raw: Any) -> SensorsRecord:
    """Check one decoded JSON record.

    Raises:
        RecordError: naming the first field that breaks Sensors' rules.
    """
    if not isinstance(raw, dict):
        raise RecordError("", f"a record must be a JSON object, not {_json_type(raw)}")
    kind = _type(raw.get("type"))
    is_item = kind in ITEM_TYPES
    properties = raw.get("properties", {})
    if properties is None:
        properties = {}
    if not isinstance(properties, dict):
        raise RecordError("properties", f"must be an object, not {_json_type(properties)}")
    for key in properties:
        _check_name(key, f"properties.{key}", "property name")
    identities = _identities(raw.get("identities"))
    lib = raw.get("lib", {})
    if not isinstance(lib, dict):
        raise RecordError("lib", f"must be an object, not {_json_type(lib)}")
    event = raw.get("event")
    if kind in EVENT_TYPES:
        if not isinstance(event, str) or not event:
            raise RecordError("event", f"is required for a `{kind}` record")
        _check_name(event, "event", "event name", reserved=False)
    elif event is not None:
        raise RecordError("event", f"is only allowed on track records, not on `{kind}`")
    record = SensorsRecord(
        type=kind,
        time_ms=_time(raw.get("time")),
        distinct_id=None if is_item else _id(raw, "distinct_id", required=True),
        event=event,
        properties=properties,
        original_id=_id(raw, "original_id", required=kind is RecordType.TRACK_SIGNUP),
        login_id=_id(raw, "login_id"),
        anonymous_id=_id(raw, "anonymous_id"),
        identities=identities,
        lib=lib,
        project=_project(raw.get("project")),
        item_type=_item_type(raw.get("item_type")) if is_item else None,
        item_id=_id(raw, "item_id", required=True) if is_item else None,
        track_id=_optional_int(raw, "_track_id"),
        flush_time_ms=_optional_int(raw, "_flush_time"),
        raw=raw,
    )
    return record


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _type(value: Any) -> RecordType:
    try:
        return RecordType(value)
    except ValueError:
        known = ", ".join(t.value for t in RecordType)
        raise RecordError("type", f"{value!r} is not a Sensors record type ({known})") from None


def _time(value: Any) -> int:
    # The SDKs take 10-digit seconds or 13-digit milliseconds and refuse anything else.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RecordError("time", f"must be milliseconds since the epoch, not {_json_type(value)}")
    digits = len(str(abs(value)))
    if value <= 0 or digits not in (10, 13):
        raise RecordError(
            "time", f"{value} is not a timestamp: use 13-digit milliseconds since the epoch"
        )
    return value * 1000 if digits == 10 else value


def _id(raw: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    value = raw.get(field)
    if value is None or value == "":
        if required:
            raise RecordError(field, "is required and must not be empty")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RecordError(field, f"must be a string, not {_json_type(value)}")
    if len(value) > MAX_ID_LENGTH:
        raise RecordError(field, f"is {len(value)} characters long; at most {MAX_ID_LENGTH}")
    return value


def _identities(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise RecordError("identities", f"must be an object, not {_json_type(value)}")
    for key, item in value.items():
        field = f"identities.{key}"
        _check_name(key, field, "identity name", reserved=False)
        if not isinstance(item, str) or not item.strip():
            raise RecordError(field, "must be a non-empty string")
        if len(item) > MAX_ID_LENGTH:
            raise RecordError(field, f"is {len(item)} characters long; at most {MAX_ID_LENGTH}")
    return value


def _check_name(name: str, field: str, what: str, *, reserved: bool = True) -> None:
    if not _NAME.match(name):
        raise RecordError(
            field,
            f"{name!r} is not a valid {what}: 1-100 letters, digits, _ or $, "
            "not starting with a digit",
        )
    if reserved and _RESERVED.match(name):
        raise RecordError(field, f"{name!r} is a name Sensors reserves")


def _project(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _NAME.match(value):
        raise RecordError("project", f"{value!r} is not a valid project name")
    return value


def _item_type(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise RecordError("item_type", f"{value!r} is not a valid item type name")
    return value


def _optional_int(raw: dict[str, Any], field: str) -> int | None:
    value = raw.get(field)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RecordError(field, f"must be an integer, not {_json_type(value)}")
    return value
