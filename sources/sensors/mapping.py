"""Sensors records as the hub's canonical records: events, profile updates and items.

=====================  =========================================================
Sensors ``type``       Junction record
=====================  =========================================================
``track``              EventRecord, a track call named ``event``
``track_signup``       EventRecord, track ``$SignUp`` with the login id as userId
                       and ``original_id`` as anonymousId (one event links both)
``track_id_bind``      EventRecord, track ``$BindID`` carrying every identity
``track_id_unbind``    EventRecord, track ``$UnbindID`` (kept; links nothing new)
``profile_set``        ProfileRecord ``traits``
``profile_set_once``   ProfileRecord ``traits_once``
``profile_unset``      ProfileRecord ``unset`` (the property names)
``profile_append``,    EventRecord, track ``$profile_append`` / ``$profile_increment``
``profile_increment``  / ``$profile_delete`` with the operands as properties: the
``profile_delete``     profile model has no append, increment or delete, so they are
                       kept as facts rather than applied wrongly
``item_set``           ItemRecord: the item's properties, into the hub's item catalog
``item_delete``        ItemRecord marked deleted (kept in the catalog as deleted)
=====================  =========================================================

Who a record is about: ``identities`` (ID-Mapping 3.0), else ``login_id`` /
``anonymous_id``, else ``distinct_id`` (a login id when ``$is_login_id`` is true,
otherwise an anonymous device or cookie id). Every record keeps what Sensors sent under
``context.sensors``, so nothing received is lost.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import msgspec

from junction.core.model import Event, Identifier, IdentifierType, ModelError
from junction.plugins import EventRecord, ItemRecord, ProfileRecord, Record
from junction.sources.sensors.records import RecordError, RecordType, SensorsRecord

__all__ = ["IDENTITY_TYPES", "to_record"]

#: Sensors identity keys the hub has an identifier type for.
IDENTITY_TYPES: dict[str, IdentifierType] = {
    "$identity_login_id": IdentifierType.USER_ID,
    "$identity_anonymous_id": IdentifierType.ANONYMOUS_ID,
    # The browser SDK's cookie id is its anonymous id.
    "$identity_cookie_id": IdentifierType.ANONYMOUS_ID,
    "$identity_mobile": IdentifierType.PHONE,
    "$identity_email": IdentifierType.EMAIL,
    "$identity_android_id": IdentifierType.ANDROID_ID,
    "$identity_idfv": IdentifierType.IDFV,
    "$identity_idfa": IdentifierType.IDFA,
    "$identity_oaid": IdentifierType.OAID,
    "$identity_imei": IdentifierType.IMEI,
    "$identity_mp_unionid": IdentifierType.WECHAT_UNIONID,
}

_PROFILE_EVENTS = {
    RecordType.PROFILE_APPEND: "$profile_append",
    RecordType.PROFILE_INCREMENT: "$profile_increment",
    RecordType.PROFILE_DELETE: "$profile_delete",
}


def to_record(record: SensorsRecord) -> Record:
    """The canonical record for one checked Sensors record.

    Raises:
        RecordError: the hub's model refuses a value (naming the Sensors field).
    """
    if record.item_type is not None and record.item_id is not None:
        # Items are not people: they go to the catalog, linked to nobody.
        return ItemRecord(
            item_type=record.item_type,
            item_id=record.item_id,
            observed_at=record.time,
            properties={} if record.type is RecordType.ITEM_DELETE else dict(record.properties),
            deleted=record.type is RecordType.ITEM_DELETE,
        )
    try:
        identifiers = _identifiers(record)
        if record.type is RecordType.PROFILE_SET:
            return _profile(record, identifiers, traits=_traits(record))
        if record.type is RecordType.PROFILE_SET_ONCE:
            return _profile(record, identifiers, traits_once=_traits(record))
        if record.type is RecordType.PROFILE_UNSET:
            return _profile(record, identifiers, unset=tuple(_traits(record)))
        return EventRecord(event=_event(record, identifiers))
    except ModelError as exc:
        raise RecordError(_sensors_field(exc.path), exc.message) from None


def _identifiers(record: SensorsRecord) -> list[Identifier]:
    found: dict[Identifier, None] = {}  # an ordered set

    def add(kind: IdentifierType, value: str | None) -> None:
        if value:
            found.setdefault(Identifier(kind, value))

    for key, value in record.identities.items():
        kind = IDENTITY_TYPES.get(key)
        if kind is not None:
            add(kind, value)
    add(IdentifierType.USER_ID, record.login_id)
    add(IdentifierType.ANONYMOUS_ID, record.anonymous_id)
    if record.type is RecordType.TRACK_SIGNUP:
        add(IdentifierType.USER_ID, record.distinct_id)
        add(IdentifierType.ANONYMOUS_ID, record.original_id)
    elif not record.identities and not record.login_id:
        # The pre-3.0 form: distinct_id alone says who it is.
        kind = IdentifierType.USER_ID if record.is_login_id else IdentifierType.ANONYMOUS_ID
        if record.anonymous_id is None or kind is IdentifierType.USER_ID:
            add(kind, record.distinct_id)
    return list(found)


def _first(identifiers: list[Identifier], kind: IdentifierType) -> str | None:
    return next((i.value for i in identifiers if i.type is kind), None)


def _traits(record: SensorsRecord) -> dict[str, Any]:
    # `$is_login_id` says how to read distinct_id; it is not a fact about the person.
    return {k: v for k, v in record.properties.items() if k != "$is_login_id"}


def _profile(record: SensorsRecord, identifiers: list[Identifier], **changes: Any) -> ProfileRecord:
    return ProfileRecord(identifiers=tuple(identifiers), observed_at=record.time, **changes)


def _event(record: SensorsRecord, identifiers: list[Identifier]) -> Event:
    user_id = _first(identifiers, IdentifierType.USER_ID)
    anonymous_id = _first(identifiers, IdentifierType.ANONYMOUS_ID)
    if user_id is None and anonymous_id is None:
        # Identified only by, say, a phone (ID-Mapping 3.0 `track_by_id`): Sensors' own
        # distinct_id for the person ("$identity_mobile+138...") stands in.
        anonymous_id = record.distinct_id
    others = [i for i in identifiers if i.type not in _EVENT_ID_TYPES]
    context: dict[str, Any] = {"sensors": _sensors_context(record)}
    library = _library(record)
    if library:
        context["library"] = library
    if isinstance(ip := record.properties.get("$ip"), str):
        context["ip"] = ip
    if others:
        context["identifiers"] = [
            {"type": i.type.value, "value": i.value, "scope": i.scope} for i in others
        ]
    name = _PROFILE_EVENTS.get(record.type, record.event)
    return Event(
        type="track",  # type: ignore[arg-type]  # converted by Event.__post_init__
        message_id=message_id(record),
        timestamp=record.time,
        sent_at=_ms(record.flush_time_ms),
        user_id=user_id,
        anonymous_id=anonymous_id,
        event=name,
        properties=dict(record.properties),
        context=context,
    )


_EVENT_ID_TYPES = frozenset({IdentifierType.USER_ID, IdentifierType.ANONYMOUS_ID})


def _sensors_context(record: SensorsRecord) -> dict[str, Any]:
    kept = {
        "type": record.type.value,
        "distinct_id": record.distinct_id,
        "original_id": record.original_id,
        "project": record.project,
        "identities": record.identities or None,
        "lib": record.lib or None,
        "track_id": record.track_id,
    }
    return {k: v for k, v in kept.items() if v is not None}


def _library(record: SensorsRecord) -> dict[str, Any]:
    name = record.lib.get("$lib") or record.properties.get("$lib")
    version = record.lib.get("$lib_version") or record.properties.get("$lib_version")
    library = {"name": name, "version": version}
    return {k: v for k, v in library.items() if isinstance(v, str)}


def _ms(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, UTC)


def message_id(record: SensorsRecord) -> str:
    """A stable id for the record, so sending (or exporting) it again is a duplicate.

    The browser SDK stamps each record with a random ``_track_id``; with the person and
    the time it identifies the record. Server SDKs send none, so the record itself is
    hashed, minus ``_flush_time`` (which changes when a stored record is resent).
    """
    if record.track_id is not None:
        basis: Any = [record.distinct_id, record.time_ms, record.track_id]
    else:
        basis = {k: v for k, v in record.raw.items() if k != "_flush_time"}
    digest = hashlib.sha256(msgspec.json.encode(basis, order="sorted")).hexdigest()
    return f"sa-{digest[:40]}"


def _sensors_field(path: str) -> str:
    # The model names camelCase event fields; say which Sensors field fed them.
    for prefix, field in (
        ("$.userId", "distinct_id"),
        ("$.anonymousId", "distinct_id"),
        ("$.properties", "properties"),
        ("$.context.identifiers", "identities"),
        ("$.value", "identities"),
        ("$.timestamp", "time"),
    ):
        if path.startswith(prefix):
            return field
    return path.removeprefix("$.").removeprefix("$")
