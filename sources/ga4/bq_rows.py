"""BigQuery's row format (``{"f": [{"v": ...}]}`` per the schema) and GA4 export rows.

BigQuery's JSON answers carry every scalar as a string (``INTEGER`` too), a RECORD as
``{"f": [...]}`` in schema order, a REPEATED field as ``[{"v": ...}, ...]`` and NULL as
``null``. :func:`parse_rows` turns them into plain dicts; :func:`export_event` turns a
GA4 export row into a canonical event:

- ``user_id`` → ``userId``; ``user_pseudo_id`` (the web client id or app instance id)
  → ``anonymousId``; rows with neither are skipped (and counted);
- ``event_name`` → the event (``page_view`` → a page call, ``screen_view`` → a screen
  call, anything else → a track call of that name);
- ``event_params`` → properties, each the one set field of its typed value struct
  (``string_value`` / ``int_value`` / ``double_value`` / ``float_value``);
- ``user_properties`` → ``context.traits``;
- ``event_timestamp`` (microseconds, UTC) → ``timestamp``;
- a message id hashed from the property, the row's time, name, people, bundle and
  params: reading a day again yields the same ids, which the hub deduplicates.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from junction.core.model import Event, EventType, ModelError
from junction.plugins import PermanentFailure

__all__ = ["SELECTED_COLUMNS", "export_event", "parse_rows"]

#: The export's columns a read selects (the query names them, in this order).
SELECTED_COLUMNS = (
    "event_date",
    "event_timestamp",
    "event_name",
    "event_params",
    "event_bundle_sequence_id",
    "user_id",
    "user_pseudo_id",
    "user_properties",
    "platform",
    "stream_id",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_VALUE_FIELDS = ("string_value", "int_value", "double_value", "float_value")
_CALLS = {"page_view": "page", "screen_view": "screen"}


def _scalar(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in ("INTEGER", "INT64"):
        return int(value)
    if kind in ("FLOAT", "FLOAT64", "NUMERIC", "BIGNUMERIC"):
        return float(value)
    if kind in ("BOOLEAN", "BOOL"):
        return value in (True, "true")
    return value


def _cell(field: dict[str, Any], value: Any) -> Any:
    if field.get("mode") == "REPEATED":
        item = {**field, "mode": "NULLABLE"}
        return [_cell(item, entry["v"]) for entry in value or []]
    if field.get("type") in ("RECORD", "STRUCT"):
        return None if value is None else _record(field["fields"], value["f"])
    return _scalar(str(field.get("type")), value)


def _record(fields: list[dict[str, Any]], cells: list[dict[str, Any]]) -> dict[str, Any]:
    if len(fields) != len(cells):
        raise ValueError(f"{len(cells)} cells for {len(fields)} fields")
    pairs = zip(fields, cells, strict=True)
    return {field["name"]: _cell(field, cell["v"]) for field, cell in pairs}


def parse_rows(schema: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a query answer as dicts, typed by the answer's ``schema``.

    Raises:
        PermanentFailure: a row does not match the schema.
    """
    try:
        fields = schema["fields"]
        return [_record(fields, row["f"]) for row in rows]
    except (KeyError, TypeError, ValueError) as exc:
        raise PermanentFailure(
            f"BigQuery answered rows not matching their schema ({exc!r})."
        ) from None


def _params(entries: list[dict[str, Any]] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for entry in entries or []:
        value = entry.get("value") or {}
        params[entry["key"]] = next(
            (value[name] for name in _VALUE_FIELDS if value.get(name) is not None), None
        )
    return params


def export_event(property_id: str, row: dict[str, Any]) -> Event | None:
    """The canonical event of one export row, or None when it names nobody.

    Raises:
        PermanentFailure: the row can't be an event (it names the event and why).
    """
    user_id, pseudo_id = row.get("user_id"), row.get("user_pseudo_id")
    if not user_id and not pseudo_id:
        return None
    name = row.get("event_name") or ""
    micros = row.get("event_timestamp")
    if not isinstance(micros, int):
        raise PermanentFailure(f"GA4 export event {name!r} has no event_timestamp.")
    params = _params(row.get("event_params"))
    traits = _params(row.get("user_properties"))
    identity = [
        property_id,
        micros,
        name,
        user_id,
        pseudo_id,
        row.get("event_bundle_sequence_id"),
        sorted(params.items()),
    ]
    digest = hashlib.sha256(json.dumps(identity, default=str).encode()).hexdigest()[:32]
    call = _CALLS.get(name, "track")
    context: dict[str, Any] = {
        "ga4": {
            k: row[k] for k in ("event_date", "platform", "stream_id") if row.get(k) is not None
        }
    }
    if traits:
        context["traits"] = traits
    try:
        return Event(
            type=EventType(call),
            event=name if call == "track" else None,
            name=str(params.get("page_title") or name) if call != "track" else None,
            message_id=f"ga4-{digest}",
            timestamp=_EPOCH + timedelta(microseconds=micros),
            user_id=user_id or None,
            anonymous_id=pseudo_id or None,
            properties=params,
            context=context,
        )
    except ModelError as exc:
        raise PermanentFailure(f"GA4 export event {name!r} is not a valid event: {exc}") from None
