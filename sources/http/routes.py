"""The Segment-compatible tracking endpoints: /v1/track ... /v1/batch.

Each request goes through the same steps, and any refusal stores nothing:

1. read the body (at most 500 KB after gunzip, else 413);
2. parse it once shallowly, for malformed JSON (400 with the parser's position), the
   write key and the size of each message (over 32 KB: 400 naming it);
3. authenticate (401);
4. decode and validate every message (400 with the path, e.g. ``batch[3].event``);
5. hand them to ``ingest`` and answer ``{"success": true}`` only after the commit
   that holds them (503 if it failed: nothing was stored, the SDK retries).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import msgspec
from litestar import Request, Response, route
from litestar.enums import HttpMethod

from junction.core.model import Event, EventType, ModelError, decode_batch, decode_event
from junction.plugins.receiver import Ingest, IngestParam, SourceRef
from junction.sources.http.body import (
    CORS_HEADERS,
    MAX_MESSAGE_BYTES,
    Refusal,
    basic_username,
    read_body,
)

__all__ = ["ROUTES"]

log = logging.getLogger("junction.sources.http")

SINGLE_PATHS = {f"/v1/{kind.value}": kind for kind in EventType}
BATCH_PATHS = ["/v1/batch", "/v1/import"]


class _Message(msgspec.Struct, rename="camel"):
    """A message as the shallow pass sees it: the rest is only checked to be JSON."""

    message_id: Any = None
    write_key: Any = None


class _Envelope(msgspec.Struct, rename="camel"):
    batch: list[msgspec.Raw]
    write_key: Any = None


_single_decoder = msgspec.json.Decoder(_Message)
_batch_decoder = msgspec.json.Decoder(_Envelope | list[msgspec.Raw])
_LEADING_INDEX = re.compile(r"^\$\[(\d+)\]")


def _invalid(error: ModelError) -> Refusal:
    return Refusal(400, "invalid_input", str(error), details=[{"path": error.path}])


def _shallow(body: bytes, decoder: msgspec.json.Decoder[Any]) -> Any:
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:  # a DecodeError too: caught first
        raise _invalid(ModelError.from_msgspec(exc)) from None
    except msgspec.DecodeError as exc:
        where = f" (it ends at byte {len(body)})" if "truncated" in str(exc) else ""
        raise Refusal(400, "invalid_json", f"the body is not valid JSON: {exc}{where}") from None


def _write_key_of(raw: bytes) -> Any:
    try:
        return _single_decoder.decode(raw).write_key
    except msgspec.MsgspecError:
        return None  # not an object: decoding the batch reports it with its path


def _check_size(raw: bytes, index: int | None) -> None:
    if len(raw) <= MAX_MESSAGE_BYTES:
        return
    try:
        message_id = _single_decoder.decode(raw).message_id
    except msgspec.MsgspecError:
        message_id = None
    if not isinstance(message_id, str | int) or len(str(message_id)) > 200:
        message_id = None  # not echoed: no id can be that long (or be an object)
    where = "the message" if index is None else f"batch[{index}]"
    raise Refusal(
        400,
        "message_too_large",
        f"{where} (messageId {message_id!r}) is {len(raw)} bytes; a message may be at "
        f"most {MAX_MESSAGE_BYTES // 1024} KB ({MAX_MESSAGE_BYTES} bytes)",
        details=[
            {
                "index": index or 0,
                "messageId": message_id,
                "path": "$" if index is None else f"$.batch[{index}]",
            }
        ],
    )


async def _authenticate(
    request: Request[Any, Any, Any], ingest: Ingest, body_key: Any
) -> SourceRef:
    key = basic_username(request.headers.get("authorization"))
    if not key and isinstance(body_key, str):
        key = body_key
    challenge = {"WWW-Authenticate": 'Basic realm="junction"'}
    if not key:
        raise Refusal(
            401,
            "missing_write_key",
            "no write key: send it as the HTTP Basic username (empty password) "
            "or as `writeKey` in the body",
            headers=challenge,
        )
    source = await ingest.authenticate(key)
    if source is None:
        raise Refusal(
            401,
            "invalid_write_key",
            "the write key is unknown or revoked, or its source is disabled",
            headers=challenge,
        )
    return source


async def _store(ingest: Ingest, source: SourceRef, events: list[Event], batch: bool) -> None:
    try:
        await ingest.write_events(source, events)
    except ModelError as exc:
        # The ingest locates errors at `$[i]`, the i-th event handed to it.
        match = _LEADING_INDEX.match(exc.path)
        rest = exc.path[match.end() :] if match else exc.path.removeprefix("$")
        prefix = f"$.batch[{match[1]}]" if batch and match else "$"
        raise _invalid(ModelError(exc.message, prefix + rest)) from None
    except Exception as exc:
        log.error("storing %d events for source %s failed: %r", len(events), source.name, exc)
        raise Refusal(
            503,
            "unavailable",
            "the events could not be stored, and none of them was; send them again",
            headers={"Retry-After": "1"},
        ) from None


_OK = msgspec.json.encode({"success": True})


def _ok() -> Response[bytes]:
    return Response(_OK, media_type="application/json", headers=CORS_HEADERS)


async def receive_one(
    request: Request[Any, Any, Any], ingest: Ingest, kind: EventType
) -> Response[Any]:
    """Handle ``/v1/<kind>``: the body is one message; the path gives its type."""
    try:
        body = await read_body(request)
        shallow = _shallow(body, _single_decoder)
        _check_size(body, None)
        source = await _authenticate(request, ingest, shallow.write_key)
        try:
            event = decode_event(body, type=kind)
        except ModelError as exc:
            raise _invalid(exc) from None
        await _store(ingest, source, [event], batch=False)
    except Refusal as refusal:
        return refusal.response()
    return _ok()


async def receive_batch(request: Request[Any, Any, Any], ingest: Ingest) -> Response[Any]:
    """Handle ``/v1/batch`` (and ``/v1/import``): ``{"batch": [...], ...}`` or ``[...]``."""
    try:
        body = await read_body(request)
        shallow = _shallow(body, _batch_decoder)
        raws = shallow if isinstance(shallow, list) else shallow.batch
        for index, raw in enumerate(raws):
            _check_size(raw, index)
        body_key = None if isinstance(shallow, list) else shallow.write_key
        if body_key is None and raws:
            # A bare array has no envelope: the first message may carry the key.
            body_key = _write_key_of(raws[0])
        source = await _authenticate(request, ingest, body_key)
        try:
            events = decode_batch(body)
        except ModelError as exc:
            raise _invalid(exc) from None
        await _store(ingest, source, events, batch=True)
    except Refusal as refusal:
        return refusal.response()
    return _ok()


def _preflight() -> Response[None]:
    # Browser SDKs (RudderStack's sends JSON with an Authorization header) ask first.
    return Response(
        None,
        status_code=204,
        headers={
            **CORS_HEADERS,
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Authorization, Content-Type, Content-Encoding",
            "Access-Control-Max-Age": "86400",
        },
    )


# POST and the CORS preflight share a handler: litestar would otherwise add its own
# OPTIONS handler to each path, which answers without the CORS headers.
_METHODS = [HttpMethod.POST, HttpMethod.OPTIONS]


def _single(kind: EventType) -> Any:
    async def handler(request: Request[Any, Any, Any], ingest: IngestParam) -> Response[Any]:
        if request.method == HttpMethod.OPTIONS:
            return _preflight()
        return await receive_one(request, ingest, kind)

    handler.__name__ = handler.__qualname__ = f"receive_{kind.value}"
    handler.__doc__ = f"Segment-compatible `{kind.value}` call. Auth: write key."
    return route(
        f"/v1/{kind.value}",
        http_method=_METHODS,
        status_code=200,
        tags=["tracking"],
        name=f"http.{kind.value}",
    )(handler)


@route(BATCH_PATHS, http_method=_METHODS, status_code=200, tags=["tracking"], name="http.batch")
async def batch(request: Request[Any, Any, Any], ingest: IngestParam) -> Response[Any]:
    """Segment-compatible batch of calls. Auth: write key (Basic username or body)."""
    if request.method == HttpMethod.OPTIONS:
        return _preflight()
    return await receive_batch(request, ingest)


ROUTES: list[Any] = [*(_single(kind) for kind in EventType), batch]
