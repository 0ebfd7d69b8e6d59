"""A strict fake of Feishu's custom bot and app messaging, with fault injection.

It enforces shared/platforms/feishu.md:

- custom bot (``POST /open-apis/bot/v2/hook/{token}``): an unknown token is 19001
  (the number is not in the spec; real Feishu answers it); a bot with a secret needs
  ``timestamp`` (Unix seconds, as a string, within an hour of the fake's clock) and a
  ``sign`` it recomputes as base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", b"")),
  19021 otherwise; with ``keywords``, a message without one is 19024; bodies over
  20 KB or malformed are 9499 "Bad Request"; ``text`` needs ``content.text``,
  ``interactive`` a ``card`` object at the top level; more than 5 a second or 100 a
  minute per bot is 11232 (nothing delivered);
- ``POST /open-apis/auth/v3/tenant_access_token/internal``: app_id and app_secret
  checked (10014); a token valid ``token_ttl`` s; the same token while ≥ 30 min remain;
- ``POST /open-apis/im/v1/messages?receive_id_type=``: ``Authorization: Bearer`` (missing
  99991661, unknown or expired 99991663); a known receive_id_type; a body of
  ``receive_id``, ``msg_type``, ``content`` as a JSON *string* of the type's shape, an
  optional ``uuid`` (≤ 50, a repeated uuid is not delivered again); a user outside the
  app's availability is 230013.

Faults (``bot_faults`` / ``send_faults`` / ``token_faults``, one per call of that kind):
``throttle`` (HTTP 429, 99991400, ``x-ogw-ratelimit-reset: 2``), ``too_many`` (9499
"too many request"), ``chat_limit`` (230020), ``busy`` (1500), ``expire`` (every token
expires first), ``500`` (HTTP 500, HTML), ``timeout`` (no answer, nothing done),
``timeout_after`` (no answer after delivering), ``refused`` (connection refused).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

HOST = "open.feishu.cn"
HOOK_PREFIX = "/open-apis/bot/v2/hook/"
MAX_BOT_BODY = 20 * 1024
RECEIVE_ID_TYPES = {"open_id", "union_id", "user_id", "email", "chat_id"}
MSG_TYPES = {"text", "post", "image", "share_chat", "interactive"}


def feishu_sign(timestamp: int | str, secret: str) -> str:
    """The sign Feishu expects, computed as its custom bot guide says."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class Refusal(Exception):
    def __init__(self, code: int, msg: str, status: int = 200) -> None:
        super().__init__(code)
        self.code, self.msg, self.status = code, msg, status


@dataclass(frozen=True)
class AppMessage:
    receive_id_type: str
    receive_id: str
    msg_type: str
    content: dict[str, Any]
    message_id: str


@dataclass
class FakeFeishu:
    #: Custom bots by webhook token, with their signing secret ("" = signature off).
    bots: dict[str, str] = field(
        default_factory=lambda: {"bot-token-0123456789": "bot-secret-0123456789"}
    )
    app_id: str = "cli_a1b2c3d4e5f6"
    app_secret: str = "feishu-secret-0123456789"
    #: People in the app's availability scope, by receive_id_type.
    users: dict[str, set[str]] = field(
        default_factory=lambda: {
            "user_id": {"u-ada", "u-grace", "u-alan"},
            "email": {"ada@example.com", "grace@example.com"},
        }
    )
    #: Keyword security: a bot message must contain one of these (19024 otherwise).
    keywords: set[str] = field(default_factory=set)
    token_ttl: float = 7200.0
    #: The fake's wall clock, Unix seconds (signatures are checked against it).
    clock: Callable[[], float] = time.time
    bot_faults: deque[str] = field(default_factory=deque)
    send_faults: deque[str] = field(default_factory=deque)
    token_faults: deque[str] = field(default_factory=deque)
    bot_posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    delivered: list[AppMessage] = field(default_factory=list)
    tokens_issued: int = 0
    #: The most message calls in flight at once (the connector bounds it).
    max_in_flight: int = 0
    _in_flight: int = 0
    _bot_times: dict[str, deque[float]] = field(default_factory=dict)
    _tokens: dict[str, float] = field(default_factory=dict)
    _uuids: dict[str, str] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def ids_delivered(self) -> list[str]:
        return [m.receive_id for m in self.delivered]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != HOST or request.method != "POST":
            return httpx.Response(404, text="<html>404</html>")
        path = request.url.path
        if path.startswith(HOOK_PREFIX):
            faults, handler = self.bot_faults, self._bot
        elif path == "/open-apis/auth/v3/tenant_access_token/internal":
            faults, handler = self.token_faults, self._token
        elif path == "/open-apis/im/v1/messages":
            faults, handler = self.send_faults, self._send
        else:
            return httpx.Response(404, text="<html>404</html>")
        fault = faults.popleft() if faults else None
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            # Let the connector's other calls start, so concurrency is observable.
            await asyncio.sleep(0.001)
            return self._answer(request, fault, handler)
        finally:
            self._in_flight -= 1

    def _answer(
        self, request: httpx.Request, fault: str | None, handler: Callable[[httpx.Request], Any]
    ) -> httpx.Response:
        if fault == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "timeout":
            raise httpx.ReadTimeout("no answer", request=request)
        if fault == "500":
            return httpx.Response(500, text="<html>500 Internal Server Error</html>")
        if fault == "throttle":
            return httpx.Response(
                429,
                headers={"x-ogw-ratelimit-limit": "50", "x-ogw-ratelimit-reset": "2"},
                json={"code": 99991400, "msg": "request trigger frequency limit"},
            )
        if fault == "expire":
            self._tokens = {token: self.clock() - 1 for token in self._tokens}
        faults = {
            "too_many": (9499, "too many request"),
            "chat_limit": (230020, "This operation triggers the frequency limit."),
            "busy": (1500, "internal error"),
        }
        try:
            if fault in faults:
                raise Refusal(*faults[fault])
            answer = handler(request)
        except Refusal as refusal:
            return httpx.Response(refusal.status, json={"code": refusal.code, "msg": refusal.msg})
        if fault == "timeout_after":
            raise httpx.ReadTimeout("no answer", request=request)
        return httpx.Response(200, json={"code": 0, "msg": "success", **answer})

    # --- custom bot ------------------------------------------------------------------

    def _bot(self, request: httpx.Request) -> dict[str, Any]:
        token = request.url.path.removeprefix(HOOK_PREFIX)
        if token not in self.bots:
            raise Refusal(19001, "param invalid: incoming webhook access token invalid")
        if len(request.content) > MAX_BOT_BODY:
            raise Refusal(9499, "Bad Request")
        body = _json(request, bad=(9499, "Bad Request"))
        secret = self.bots[token]
        if secret:
            stamp, sign = body.get("timestamp"), body.get("sign")
            fresh = (
                isinstance(stamp, str)
                and stamp.isdigit()
                and abs(self.clock() - int(stamp)) <= 3600
            )
            if not fresh or not isinstance(sign, str) or sign != feishu_sign(stamp, secret):
                raise Refusal(
                    19021,
                    "sign match fail or timestamp is not within one hour from current time",
                )
        self._check_bot_message(body)
        said = json.dumps({k: v for k, v in body.items() if k in ("content", "card")})
        if self.keywords and not any(json.dumps(word)[1:-1] in said for word in self.keywords):
            raise Refusal(19024, "Key Words Not Found")
        now = self.clock()
        times = self._bot_times.setdefault(token, deque())
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) >= 100 or sum(1 for t in times if now - t < 1) >= 5:
            raise Refusal(11232, "frequency limited")
        times.append(now)
        self.bot_posts.append((token, body))
        return {"data": {}}

    @staticmethod
    def _check_bot_message(body: dict[str, Any]) -> None:
        msg_type = body.get("msg_type")
        allowed = {"msg_type", "timestamp", "sign"}
        if msg_type == "interactive":
            card = body.get("card")
            if not isinstance(card, dict) or not isinstance(card.get("elements"), list):
                raise Refusal(9499, "Bad Request")
            allowed.add("card")
        elif msg_type in MSG_TYPES:
            content = body.get("content")
            if not isinstance(content, dict):
                raise Refusal(9499, "Bad Request")
            if msg_type == "text" and not (
                isinstance(content.get("text"), str) and content["text"]
            ):
                raise Refusal(9499, "Bad Request")
            allowed.add("content")
        else:
            raise Refusal(9499, "Bad Request")
        if set(body) - allowed:
            raise Refusal(9499, "Bad Request")

    # --- app -------------------------------------------------------------------------

    def _token(self, request: httpx.Request) -> dict[str, Any]:
        body = _json(request, bad=(10003, "invalid param"))
        if body.get("app_id") != self.app_id or body.get("app_secret") != self.app_secret:
            raise Refusal(10014, "app secret invalid")
        now = self.clock()
        for token, expires in self._tokens.items():
            if expires - now >= 1800:
                return {"tenant_access_token": token, "expire": int(expires - now)}
        self.tokens_issued += 1
        token = f"t-fake{self.tokens_issued:04d}" + "y" * 30
        # The previous token stays valid until it expires.
        self._tokens[token] = now + self.token_ttl
        return {"tenant_access_token": token, "expire": int(self.token_ttl)}

    def _send(self, request: httpx.Request) -> dict[str, Any]:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth.removeprefix("Bearer "):
            raise Refusal(99991661, "Missing access token for authorization", 400)
        expires = self._tokens.get(auth.removeprefix("Bearer "))
        if expires is None or expires <= self.clock():
            raise Refusal(99991663, "Invalid access token for authorization", 400)
        kind = request.url.params.get("receive_id_type")
        if kind not in RECEIVE_ID_TYPES:
            raise Refusal(99992402, "field validation failed: receive_id_type", 400)
        body = _json(request, bad=(99992402, "field validation failed"))
        if set(body) - {"receive_id", "msg_type", "content", "uuid"}:
            raise Refusal(99992402, "field validation failed: unknown field", 400)
        receive_id, msg_type = body.get("receive_id"), body.get("msg_type")
        if not isinstance(receive_id, str) or not receive_id or msg_type not in MSG_TYPES:
            raise Refusal(99992402, "field validation failed", 400)
        content = _content(msg_type, body.get("content"))
        uuid = body.get("uuid")
        if uuid is not None and (not isinstance(uuid, str) or not 0 < len(uuid) <= 50):
            raise Refusal(99992402, "field validation failed: uuid", 400)
        if receive_id not in self.users.get(kind, set()):
            raise Refusal(230013, "Bot has NO availability to this user.", 400)
        if uuid is not None and uuid in self._uuids:
            return {"data": {"message_id": self._uuids[uuid]}}
        message_id = f"om_{next(self._ids):08d}"
        if uuid is not None:
            self._uuids[uuid] = message_id
        self.delivered.append(AppMessage(kind, receive_id, msg_type, content, message_id))
        return {"data": {"message_id": message_id, "msg_type": msg_type}}


def _content(msg_type: str, raw: Any) -> dict[str, Any]:
    """``content`` must be a JSON string of the message type's shape."""
    if not isinstance(raw, str):
        raise Refusal(230001, "invalid content: content must be a string", 400)
    try:
        content = json.loads(raw)
    except json.JSONDecodeError:
        raise Refusal(230001, "invalid content", 400) from None
    if msg_type == "text":
        ok = isinstance(content, dict) and set(content) == {"text"}
        ok = ok and isinstance(content["text"], str) and bool(content["text"])
    elif msg_type == "post":
        # No outer "post" key here, unlike the bot: {"zh_cn": {"title", "content"}}.
        locale = content.get("zh_cn") if isinstance(content, dict) else None
        ok = isinstance(locale, dict) and isinstance(locale.get("content"), list)
        ok = ok and all(isinstance(p, list) for p in locale["content"])  # type: ignore[union-attr]
    else:
        ok = isinstance(content, dict)
    if not ok:
        raise Refusal(230001, f"invalid {msg_type} content", 400)
    return content


def _json(request: httpx.Request, *, bad: tuple[int, str]) -> dict[str, Any]:
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise Refusal(*bad, 400)
    try:
        body = json.loads(request.content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Refusal(*bad, 400) from None
    if not isinstance(body, dict):
        raise Refusal(*bad, 400)
    return body
