"""The callback route WeChat calls: ``GET``/``POST /hooks/wechat_oa/{connection}``.

Configure ``https://<hub>/hooks/wechat_oa/<connection name>`` as the server URL
(服务器地址) in the account's console. Every request goes through the same steps and
a refused one stores nothing:

1. find the enabled ``wechat_oa`` connection named in the path (404);
2. refuse a timestamp outside the connection's replay window (403);
3. ``GET`` (URL verification): check ``signature`` and answer ``echostr``;
4. ``POST``: read at most 64 KB (413); check ``msg_signature`` over the ``Encrypt``
   text and decrypt it (encrypted push), or check ``signature`` (plain push) (401);
   refuse a nonce already accepted within the window (409);
5. turn the push into an event (400 if it is not one), store it, and answer
   ``success`` after the commit (503 if it failed: WeChat retries) — or, for a
   follow when ``subscribe_reply`` is set, the welcome reply (encrypted when the
   push was).

Refusals answer the hub's JSON error shape ``{"error": {"status", "code", "message"}}``.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any

from litestar import Request, Response, route
from litestar.enums import HttpMethod
from litestar.params import PathParameter

from junction.core.model import ModelError
from junction.plugins import EventRecord, Record
from junction.plugins.receiver import Ingest, IngestParam, SourceRef
from junction.sources.wechat_oa.callbacks import (
    CallbackError,
    event_of,
    parse_xml,
    subscription_update,
)
from junction.sources.wechat_oa.config import MessageMode, WechatOaConfig
from junction.sources.wechat_oa.crypto import CryptoError, MessageCrypto, signature_matches
from junction.sources.wechat_oa.replay import NonceBook, timestamp_problem
from junction.sources.wechat_oa.reply import encrypted_envelope, text_reply

__all__ = ["MAX_BODY_BYTES", "NONCES", "ROUTES"]

log = logging.getLogger("junction.sources.wechat_oa")

#: WeChat's pushes are a few hundred bytes; anything this large is not one.
MAX_BODY_BYTES = 64 * 1024

#: Nonces accepted by this process (see :mod:`.replay` for what that does not cover).
NONCES = NonceBook()

PATH = "/hooks/wechat_oa/{connection:str}"


class Refusal(Exception):
    """A callback the route refuses; nothing of it is stored."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> Response[dict[str, Any]]:
        body = {"status": self.status, "code": self.code, "message": self.message}
        return Response({"error": body}, status_code=self.status)


def _text(body: str) -> Response[str]:
    return Response(body, media_type="text/plain; charset=utf-8", status_code=200)


@route(PATH, http_method=[HttpMethod.GET, HttpMethod.POST], name="wechat_oa.callback")
async def callback(
    connection: Annotated[str, PathParameter(description="The wechat_oa connection's name.")],
    request: Request[Any, Any, Any],
    ingest: IngestParam,
) -> Response[Any]:
    """WeChat official account callback: URL verification (GET) and pushes (POST).

    Auth: WeChat's signature with the connection's callback token.
    """
    try:
        found = await _connection(ingest, connection)
        if found is None:
            raise Refusal(
                404,
                "unknown_connection",
                f"there is no enabled wechat_oa connection named {connection!r}",
            )
        source, ctx = found
        config: WechatOaConfig = ctx.config
        query = request.query_params
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        now = time.time()
        if problem := timestamp_problem(timestamp, now=now, window=config.replay_window_seconds):
            raise Refusal(403, "stale_timestamp", problem)
        if not nonce:
            raise Refusal(401, "invalid_signature", "the nonce query parameter is missing")
        if request.method == HttpMethod.GET:
            return _verify_url(config, query.get("signature", ""), timestamp, nonce, query)
        fields, encrypted = await _verified_push(request, config, timestamp, nonce)
        if not NONCES.claim(source.id, nonce, now=now, window=config.replay_window_seconds):
            raise Refusal(
                409,
                "replayed_nonce",
                f"this nonce was already accepted within the last "
                f"{config.replay_window_seconds} s; the push is refused as a replay",
            )
        try:
            await _store(ingest, source, fields, config.app_id)
        except BaseException:
            NONCES.release(source.id, nonce)  # nothing was stored: a resend is welcome
            raise
    except Refusal as refusal:
        if refusal.status >= 500 or refusal.code == "undecryptable":
            log.error("wechat_oa %s: %s", connection, refusal.message)
        else:
            log.warning("wechat_oa %s refused a callback: %s", connection, refusal.message)
        return refusal.response()
    return _answer(config, fields, encrypted=encrypted)


def _answer(config: WechatOaConfig, fields: dict[str, Any], *, encrypted: bool) -> Response[Any]:
    """The welcome reply to a follow, when configured; else ``success``."""
    account = fields.get("ToUserName")
    if not (
        config.subscribe_reply
        and fields.get("MsgType") == "event"
        and fields.get("Event") == "subscribe"
        and isinstance(account, str)
        and account
    ):
        # WeChat takes "success" (or an empty body) as "received, no passive reply".
        return _text("success")
    now = int(time.time())
    reply = text_reply(
        to_openid=fields["FromUserName"],
        from_account=account,
        content=config.subscribe_reply,
        now=now,
    )
    if encrypted:
        crypto = MessageCrypto(config.encoding_aes_key, config.app_id)
        reply = encrypted_envelope(reply, crypto=crypto, token=config.callback_token, now=now)
    return Response(reply, media_type="application/xml; charset=utf-8", status_code=200)


async def _connection(ingest: Ingest, name: str) -> tuple[SourceRef, Any] | None:
    try:
        return await ingest.connection("wechat_oa", name)
    except Exception as exc:  # the database or the secret key: not the caller's fault
        log.error("opening wechat_oa connection %r failed: %r", name, exc)
        raise Refusal(
            503, "unavailable", "the connection could not be opened; WeChat will retry"
        ) from None


def _verify_url(
    config: WechatOaConfig, signature: str, timestamp: str, nonce: str, query: Any
) -> Response[Any]:
    # A verification request changes nothing, so its nonce is not recorded.
    if not signature_matches(signature, config.callback_token, timestamp, nonce):
        raise _bad_signature("signature")
    return _text(query.get("echostr", ""))


def _bad_signature(name: str) -> Refusal:
    return Refusal(
        401,
        "invalid_signature",
        f"the {name} does not verify with this connection's callback token: check that "
        "callback_token matches the Token of the account's 服务器配置",
    )


async def _read_body(request: Request[Any, Any, Any]) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Refusal(413, "body_too_large", f"a push is at most {MAX_BODY_BYTES} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refusal(413, "body_too_large", f"a push is at most {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _verified_push(
    request: Request[Any, Any, Any], config: WechatOaConfig, timestamp: str, nonce: str
) -> tuple[dict[str, Any], bool]:
    """The push's fields, after its signature verified (and decrypted if encrypted),
    and whether it came encrypted."""
    query = request.query_params
    body = await _read_body(request)
    try:
        outer = parse_xml(body)
    except CallbackError as exc:
        raise Refusal(400, "invalid_xml", str(exc)) from None
    if query.get("encrypt_type", "raw") == "aes":
        decrypted = _decrypted(config, outer, query.get("msg_signature", ""), timestamp, nonce)
        return decrypted, True
    if config.message_mode is MessageMode.SAFE:
        raise Refusal(
            400,
            "encryption_required",
            "the connection is in safe mode but the push is not encrypted; refusing it",
        )
    if not signature_matches(query.get("signature", ""), config.callback_token, timestamp, nonce):
        raise _bad_signature("signature")
    return outer, False


def _decrypted(
    config: WechatOaConfig, outer: dict[str, Any], msg_signature: str, timestamp: str, nonce: str
) -> dict[str, Any]:
    encrypted = outer.get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise Refusal(400, "invalid_xml", "the encrypted push has no <Encrypt>")
    # Verified before decrypting: nothing unauthenticated reaches the cipher.
    if not signature_matches(msg_signature, config.callback_token, timestamp, nonce, encrypted):
        raise _bad_signature("msg_signature")
    keys = [k for k in (config.encoding_aes_key, config.previous_encoding_aes_key) if k]
    if not keys:
        raise Refusal(
            400,
            "undecryptable",
            "the push is encrypted but the connection has no encoding_aes_key: set it and "
            "message_mode to the console's 消息加解密方式",
        )
    problem = ""
    for key in keys:
        try:
            plain = MessageCrypto(key, config.app_id).decrypt(encrypted)
        except CryptoError as exc:
            problem = str(exc)
            continue
        try:
            return parse_xml(plain)
        except CallbackError as exc:
            raise Refusal(400, "invalid_xml", f"the decrypted push: {exc}") from None
    raise Refusal(400, "undecryptable", f"the push could not be decrypted: {problem}")


async def _store(ingest: Ingest, source: SourceRef, fields: dict[str, Any], app_id: str) -> None:
    try:
        event = event_of(fields, app_id=app_id)
    except CallbackError as exc:
        raise Refusal(400, "invalid_push", str(exc)) from None
    records: list[Record] = [EventRecord(event=event)]
    if update := subscription_update(fields, app_id=app_id):
        records.append(update)
    try:
        # One commit: the event and the profile update are stored together or not at all.
        await ingest.write_records(source, records)
    except ModelError as exc:
        # Storable by the model but not by the database (a NUL character...): WeChat's
        # retries would fail the same way, so this is the push's fault, not ours.
        raise Refusal(400, "invalid_push", f"the push can't be stored: {exc}") from None
    except Exception as exc:
        log.error("storing a push for source %s failed: %r", source.name, exc)
        raise Refusal(
            503, "unavailable", "the push could not be stored; WeChat will send it again"
        ) from None


ROUTES: list[Any] = [callback]
