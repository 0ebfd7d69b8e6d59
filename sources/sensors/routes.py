"""The Sensors data-receiving endpoint, mounted where an unchanged SDK can point at it.

Point an SDK's ``server_url`` at::

    https://<hub>/hooks/sensors/sa?project=<project>&token=<the connection's write key>

The SDKs append nothing to that URL and keep its query string, so the write key rides
along as ``token`` (the place Sensors itself reads an import token from). The debug
consumers' ``/debug`` sibling is served too: ``Dry-Run: true`` validates and stores
nothing.

Each request is all or nothing: every record is decoded, checked and mapped before any
is stored, and a refusal names the record (``data_list[3]``) and its field. Success is
HTTP 200 (a 1x1 GIF for GET beacons), sent only after the commit holding the records.
"""

from __future__ import annotations

import logging
from typing import Any, cast
from urllib.parse import parse_qsl

from litestar import Request, Response, route
from litestar.enums import HttpMethod

from junction.core.model import ModelError
from junction.plugins.receiver import Ingest, IngestParam, SourceRef
from junction.sources.sensors.config import SensorsConfig
from junction.sources.sensors.mapping import to_record
from junction.sources.sensors.records import RecordError, parse_record
from junction.sources.sensors.refusal import CORS_HEADERS, Refusal
from junction.sources.sensors.wire import WireError, decode_payload, form_fields

__all__ = ["PLUGIN", "ROUTES"]

log = logging.getLogger("junction.sources.sensors")

PLUGIN = "sensors"
#: Raw request bodies: base64 of the 5 MB decoded cap, plus URL escaping.
MAX_BODY_BYTES = 8 * 1024 * 1024
#: How many record errors a refusal lists.
MAX_DETAILS = 20

# The smallest transparent GIF: the browser SDK's image beacon waits for an image.
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c000000000100010000020144003b"
)


async def _fields(request: Request[Any, Any, Any]) -> dict[str, str]:
    # Query and body both count: SDKs put project and token in server_url's query and
    # the records in the form body; the GET beacon puts everything in the query.
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    if request.method == HttpMethod.POST:
        pairs += parse_qsl(await _body(request), keep_blank_values=True)
    try:
        return form_fields(pairs)
    except WireError as exc:
        raise Refusal(400, exc.code, exc.message, details=[{"field": exc.field}]) from None


async def _body(request: Request[Any, Any, Any]) -> str:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/json", "multipart/form-data"):
        raise Refusal(
            415,
            "unsupported_media_type",
            f"send application/x-www-form-urlencoded form fields, not {content_type}",
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    try:
        return b"".join(chunks).decode("ascii")
    except UnicodeDecodeError:
        raise Refusal(
            400, "invalid_form", "the body is not URL-encoded form data (non-ASCII bytes)"
        ) from None


def _too_large() -> Refusal:
    return Refusal(
        413, "body_too_large", f"the request body exceeds {MAX_BODY_BYTES // (1024 * 1024)} MB"
    )


async def _authenticate(ingest: Ingest, fields: dict[str, str]) -> tuple[SourceRef, SensorsConfig]:
    key = fields.get("token", "")
    if not key:
        raise Refusal(
            401,
            "missing_token",
            "no token: put the connection's write key in the SDK's server_url as "
            "`?project=<project>&token=<write key>`",
        )
    source = await ingest.authenticate(key)
    if source is None:
        raise Refusal(
            401, "invalid_token", "the token is unknown or revoked, or its source is disabled"
        )
    if source.plugin != PLUGIN:
        raise Refusal(
            403,
            "wrong_source",
            f"the token belongs to connection {source.name!r} of plugin {source.plugin!r}; "
            "use the write key of a sensors connection",
        )
    try:
        found = await ingest.connection(PLUGIN, source.name)
    except Exception as exc:  # the database, or a config that no longer validates
        log.error("reading connection %s failed: %r", source.name, exc)
        raise Refusal(
            503,
            "unavailable",
            "the connection's settings could not be read; nothing was stored, send again",
            headers={"Retry-After": "1"},
        ) from None
    if found is None:
        raise Refusal(403, "wrong_source", f"connection {source.name!r} is not enabled")
    return source, cast(SensorsConfig, found[1].config)


def _records(fields: dict[str, str], config: SensorsConfig) -> list[Any]:
    # Sensors' rule: a record's own `project` wins, then ?project=, then "default".
    project = fields.get("project") or "default"
    if fields.get("project") and project != config.project:
        raise Refusal(
            400,
            "wrong_project",
            f"?project={project} in the server_url is not this connection's project "
            f"{config.project!r}",
            details=[{"field": "project"}],
        )
    try:
        payload = decode_payload(fields)
    except WireError as exc:
        raise Refusal(400, exc.code, exc.message, details=[{"field": exc.field}]) from None
    records: list[Any] = []
    errors: list[dict[str, Any]] = []
    for index, raw in enumerate(payload.records):
        try:
            record = parse_record(raw)
            if (record.project or project) != config.project:
                raise RecordError(
                    "project" if record.project else "",
                    f"project {record.project or project!r} is not this connection's "
                    f"project {config.project!r}",
                )
            records.append(to_record(record))
        except RecordError as exc:
            where = payload.where(index)
            errors.append(
                {
                    "index": index,
                    "path": f"{where}.{exc.field}" if exc.field else where,
                    "message": exc.message,
                }
            )
    if errors:
        first = errors[0]
        more = f" ({len(errors)} records refused, see details)" if len(errors) > 1 else ""
        raise Refusal(
            400,
            "invalid_record",
            f"{first['path']}: {first['message']}{more}; nothing was stored",
            details=errors[:MAX_DETAILS],
        )
    return records


async def _store(ingest: Ingest, source: SourceRef, records: list[Any], field: str) -> None:
    try:
        await ingest.write_records(source, records)
    except ModelError as exc:
        # The ingest locates errors at `$[i]`, the i-th record handed to it.
        index, _, rest = exc.path.removeprefix("$[").partition("]")
        where = f"{field}[{index}]" if index.isdigit() else field
        raise Refusal(
            400,
            "invalid_record",
            f"{where}: {exc.message} (at {rest or '$'}); nothing was stored",
            details=[{"index": int(index) if index.isdigit() else 0, "message": exc.message}],
        ) from None
    except Exception as exc:
        log.error("storing %d records for source %s failed: %r", len(records), source.name, exc)
        raise Refusal(
            503,
            "unavailable",
            "the records could not be stored, and none of them was; send them again",
            headers={"Retry-After": "1"},
        ) from None


async def receive(
    request: Request[Any, Any, Any], ingest: Ingest, *, dry_run: bool = False
) -> Response[Any]:
    """Decode, check, map and store one request's records; refuse all on any error."""
    try:
        fields = await _fields(request)
        source, config = await _authenticate(ingest, fields)
        records = _records(fields, config)
        if not dry_run:
            field = "data_list" if "data_list" in fields else "data"
            await _store(ingest, source, records, field)
    except Refusal as refusal:
        return refusal.response()
    if request.method == HttpMethod.GET:
        return Response(PIXEL, media_type="image/gif", headers=CORS_HEADERS)
    return Response(b"", media_type="text/plain", headers=CORS_HEADERS)


def _preflight() -> Response[None]:
    return Response(
        None,
        status_code=204,
        headers={
            **CORS_HEADERS,
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type, Dry-Run",
            "Access-Control-Max-Age": "86400",
        },
    )


_METHODS = [HttpMethod.GET, HttpMethod.POST, HttpMethod.OPTIONS]


@route(
    ["/hooks/sensors/sa", "/hooks/sensors/sa.gif"],
    http_method=_METHODS,
    status_code=200,
    tags=["tracking"],
    name="sensors.sa",
)
async def sa(request: Request[Any, Any, Any], ingest: IngestParam) -> Response[Any]:
    """Sensors SDK data receiving (`data` / `data_list`, gzip=1). Auth: `token` = write key."""
    if request.method == HttpMethod.OPTIONS:
        return _preflight()
    return await receive(request, ingest)


@route(
    "/hooks/sensors/debug",
    http_method=_METHODS,
    status_code=200,
    tags=["tracking"],
    name="sensors.debug",
)
async def debug(request: Request[Any, Any, Any], ingest: IngestParam) -> Response[Any]:
    """The SDK debug endpoint: as `/sa`, but `Dry-Run: true` only validates."""
    if request.method == HttpMethod.OPTIONS:
        return _preflight()
    dry_run = request.headers.get("dry-run", "").strip().lower() == "true"
    return await receive(request, ingest, dry_run=dry_run)


ROUTES: list[Any] = [sa, debug]
