"""A strict fake of the WeChat official account API, and of WeChat calling us back.

It enforces /work/shared/platforms/wechat-oa.md:

- ``POST /cgi-bin/stable_token`` (JSON ``grant_type``, ``appid``, ``secret``,
  ``force_refresh``) returns the token already issued until it expires, unless
  ``force_refresh``; ``GET /cgi-bin/token`` always issues a new one. Issuing a new
  token invalidates the previous one after ``grace`` seconds (5 minutes): one valid
  token at a time. Errors: 40013 unknown app id, 40125 wrong secret, 40164 caller IP
  not whitelisted, 40002 bad grant type.
- Every other call needs ``access_token``: 41001 missing, 40014 unknown, 42001
  expired, 40001 superseded (past the grace period) or revoked.
- ``GET user/get``: pages of at most ``page_size`` (WeChat: 10,000) openids;
  ``next_openid`` is the page's last openid, also on the last page; the page after it
  has ``count`` 0, no ``data`` and an empty ``next_openid``. An unknown
  ``next_openid`` is 40003.
- ``POST user/info/batchget``: ``user_list`` of 1 to 100 ``{"openid", "lang"?}``
  (40032 outside that, 40003 for an openid that never followed, 40033 for a ``\\uXXXX``
  escape in the body, 47001 for a malformed body).
- ``GET tags/get``.
- Daily quotas per API (``quota={"user/get": 3}``): 45009 once used up.

Faults on demand: :meth:`fail` queues the next answers of an API (an errcode such as
-1 or 45011, an HTTP status as ``"http:502"``, or ``"timeout"``). Everything received is kept in
``calls``.

:class:`WechatServer` plays WeChat calling the hub: it signs URL verifications and
pushes with the callback token, plaintext or encrypted (with its own AES code, not
the plugin's), and decrypts what it is sent back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import struct
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import httpx
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TOKEN_LIFETIME = 7200
GRACE = 300
PAGE_SIZE = 10_000
BATCHGET_MAX = 100
LANGS = {"zh_CN", "zh_TW", "en"}


@dataclass
class Follower:
    """One user of the account, as user/info describes them."""

    openid: str
    subscribe_time: int = 1_714_000_000
    unionid: str | None = None
    language: str = "zh_CN"
    remark: str = ""
    tagid_list: list[int] = field(default_factory=list)
    subscribe_scene: str = "ADD_SCENE_QR_CODE"
    qr_scene: int = 0
    qr_scene_str: str = ""
    subscribed: bool = True

    def info(self) -> dict[str, Any]:
        if not self.subscribed:
            # WeChat tells nothing more about someone who unfollowed.
            info: dict[str, Any] = {"subscribe": 0, "openid": self.openid}
        else:
            info = {
                "subscribe": 1,
                "openid": self.openid,
                "language": self.language,
                "subscribe_time": self.subscribe_time,
                "remark": self.remark,
                "groupid": 0,
                "tagid_list": list(self.tagid_list),
                "subscribe_scene": self.subscribe_scene,
                "qr_scene": self.qr_scene,
                "qr_scene_str": self.qr_scene_str,
            }
        if self.unionid:
            info["unionid"] = self.unionid
        return info


@dataclass
class _Token:
    value: str
    kind: str
    expires_at: float
    revoked_at: float | None = None


class FakeWechat:
    """The WeChat API of one official account, with its followers and tags."""

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        followers: list[Follower] | None = None,
        tags: dict[int, str] | None = None,
        page_size: int = PAGE_SIZE,
        ip_whitelisted: bool = True,
        quota: dict[str, int] | None = None,
        grace: float = GRACE,
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.followers = {f.openid: f for f in followers or []}
        self.tags = dict(tags or {})
        self.page_size = page_size
        self.ip_whitelisted = ip_whitelisted
        self.quota = dict(quota or {})
        self.grace = grace
        self.clock = time.time()
        self.tokens: dict[str, _Token] = {}
        self._current_stable: _Token | None = None
        self._faults: dict[str, deque[int | str]] = {}
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []
        self.used: Counter[str] = Counter()

    # --- test controls --------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the platform's clock (tokens expire by it)."""
        self.clock += seconds

    def fail(self, api: str, *answers: int | str) -> None:
        """Queue the next answers of ``api`` ("user/get", "stable_token"...): an errcode
        (-1, 45009, 45011, 40001...), an HTTP status ("http:502") or "timeout"."""
        self._faults.setdefault(api, deque()).extend(answers)

    def revoke_tokens(self) -> None:
        """Invalidate every token now (as another system's force_refresh would)."""
        for token in self.tokens.values():
            token.revoked_at = self.clock
        self._current_stable = None

    def calls_to(self, api: str) -> list[tuple[str, str, dict[str, str], Any]]:
        return [call for call in self.calls if call[1] == api]

    @property
    def issued(self) -> int:
        return len(self.tokens)

    # --- the contract ---------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if not path.startswith("/cgi-bin/"):
            return httpx.Response(404, text="not found")
        api = path.removeprefix("/cgi-bin/")
        params = dict(request.url.params)
        body = request.content
        self.calls.append((request.method, api, params, body))
        fault = self._next_fault(api)
        if fault == "timeout":
            raise httpx.ReadTimeout("the fake WeChat did not answer", request=request)
        if isinstance(fault, str) and fault.startswith("http:"):
            return httpx.Response(int(fault[5:]), text="<html>Bad Gateway</html>")
        if fault is not None:
            return _error(int(fault), "fault injected by the test")
        handler = {
            ("POST", "stable_token"): self._stable_token,
            ("GET", "token"): self._classic_token,
            ("GET", "user/get"): self._user_get,
            ("POST", "user/info/batchget"): self._batchget,
            ("GET", "tags/get"): self._tags_get,
        }.get((request.method, api))
        if handler is None:
            return _error(48001, f"api unauthorized or unknown: {request.method} {api}")
        if api not in ("stable_token", "token"):
            problem = self._token_problem(params.get("access_token"))
            if problem is not None:
                return problem
        if api in self.quota:
            if self.used[api] >= self.quota[api]:
                return _error(45009, "reach max api daily quota limit")
            self.used[api] += 1
        return handler(params, body)

    def _next_fault(self, api: str) -> int | str | None:
        queue = self._faults.get(api)
        return queue.popleft() if queue else None

    def _token_problem(self, value: str | None) -> httpx.Response | None:
        if not value:
            return _error(41001, "access_token missing")
        token = self.tokens.get(value)
        if token is None:
            return _error(40014, "invalid access_token")
        if token.revoked_at is not None and self.clock >= token.revoked_at:
            return _error(40001, "invalid credential, access_token is invalid or not latest")
        if self.clock >= token.expires_at:
            return _error(42001, "access_token expired")
        return None

    def _credentials(self, appid: Any, secret: Any) -> httpx.Response | None:
        if appid != self.app_id:
            return _error(40013, "invalid appid")
        if secret != self.app_secret:
            return _error(40125, "invalid appsecret")
        if not self.ip_whitelisted:
            return _error(40164, "invalid ip 203.0.113.9 ipv6 ::ffff:203.0.113.9, not in whitelist")
        return None

    def _issue(self, kind: str) -> _Token:
        # The previous token of the same kind stays usable for the grace period, then
        # stops working; stable and classic tokens live apart.
        for token in self.tokens.values():
            if token.kind == kind and token.revoked_at is None:
                token.revoked_at = self.clock + self.grace
        token = _Token(
            value=secrets.token_urlsafe(96), kind=kind, expires_at=self.clock + TOKEN_LIFETIME
        )
        self.tokens[token.value] = token
        return token

    def _stable_token(self, params: dict[str, str], body: bytes) -> httpx.Response:
        payload, problem = _json_object(body)
        if problem is not None:
            return problem
        if set(payload) - {"grant_type", "appid", "secret", "force_refresh"}:
            return _error(47001, f"data format error: unknown fields {sorted(payload)}")
        if payload.get("grant_type") != "client_credential":
            return _error(40002, "invalid grant_type")
        force = payload.get("force_refresh", False)
        if not isinstance(force, bool):
            return _error(47001, "data format error: force_refresh must be a boolean")
        problem = self._credentials(payload.get("appid"), payload.get("secret"))
        if problem is not None:
            return problem
        current = self._current_stable
        usable = (
            current is not None and current.revoked_at is None and self.clock < current.expires_at
        )
        if force or not usable:
            current = self._current_stable = self._issue("stable")
        assert current is not None
        lifetime = int(current.expires_at - self.clock)
        return _ok({"access_token": current.value, "expires_in": lifetime})

    def _classic_token(self, params: dict[str, str], body: bytes) -> httpx.Response:
        if params.get("grant_type") != "client_credential":
            return _error(40002, "invalid grant_type")
        problem = self._credentials(params.get("appid"), params.get("secret"))
        if problem is not None:
            return problem
        token = self._issue("classic")
        return _ok({"access_token": token.value, "expires_in": TOKEN_LIFETIME})

    def _user_get(self, params: dict[str, str], body: bytes) -> httpx.Response:
        if set(params) - {"access_token", "next_openid"}:
            return _error(47001, f"data format error: unknown parameters {sorted(params)}")
        order = sorted(self.followers)
        active = [o for o in order if self.followers[o].subscribed]
        start = 0
        after = params.get("next_openid", "")
        if after:
            if after not in self.followers:
                return _error(40003, "invalid next_openid")
            start = sum(1 for o in active if o <= after)
        page = active[start : start + self.page_size]
        if not page:
            return _ok({"total": len(active), "count": 0, "next_openid": ""})
        return _ok(
            {
                "total": len(active),
                "count": len(page),
                "data": {"openid": page},
                "next_openid": page[-1],
            }
        )

    def _batchget(self, params: dict[str, str], body: bytes) -> httpx.Response:
        payload, problem = _json_object(body)
        if problem is not None:
            return problem
        users = payload.get("user_list")
        if set(payload) != {"user_list"} or not isinstance(users, list):
            return _error(47001, 'data format error: the body must be {"user_list": [...]}')
        if not 1 <= len(users) <= BATCHGET_MAX:
            return _error(40032, f"invalid openid list size: {len(users)} (1 to 100)")
        infos = []
        for user in users:
            if not isinstance(user, dict) or set(user) - {"openid", "lang"}:
                return _error(47001, f"data format error: bad user_list item {user!r}")
            if "lang" in user and user["lang"] not in LANGS:
                return _error(40005, f"invalid lang {user['lang']!r}")
            openid = user.get("openid")
            follower = self.followers.get(openid) if isinstance(openid, str) else None
            if follower is None:
                return _error(40003, f"invalid openid {user.get('openid')!r}")
            infos.append(follower.info())
        return _ok({"user_info_list": infos})

    def _tags_get(self, params: dict[str, str], body: bytes) -> httpx.Response:
        counts = Counter(t for f in self.followers.values() for t in f.tagid_list)
        tags = [{"id": i, "name": n, "count": counts[i]} for i, n in sorted(self.tags.items())]
        return _ok({"tags": tags})


def _ok(body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(body, ensure_ascii=False).encode())


def _error(errcode: int, errmsg: str) -> httpx.Response:
    # WeChat answers errors with HTTP 200 and a request id in the message.
    rid = secrets.token_hex(4)
    return _ok({"errcode": errcode, "errmsg": f"{errmsg} rid: {rid}"})


def _json_object(body: bytes) -> tuple[dict[str, Any], httpx.Response | None]:
    if b"\\u" in body:
        return {}, _error(40033, "invalid charset. please check your request, \\uxxxx")
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}, _error(47001, "data format error: the body is not JSON")
    if not isinstance(payload, dict):
        return {}, _error(47001, "data format error: the body is not a JSON object")
    return payload, None


# --- WeChat calling the hub -------------------------------------------------------------


def wechat_signature(*parts: str) -> str:
    """SHA-1 hex of the parts sorted and concatenated (written apart from the plugin's)."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


class WechatCipher:
    """WeChat's AES-256-CBC message encryption, written from the spec for the tests."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        self.key = base64.b64decode(encoding_aes_key + "=")
        assert len(self.key) == 32
        self.app_id = app_id

    def encrypt(self, message: bytes, random16: bytes | None = None) -> str:
        random16 = random16 if random16 is not None else os.urandom(16)
        plain = random16 + struct.pack("!I", len(message)) + message + self.app_id.encode()
        amount = 32 - len(plain) % 32
        plain += bytes([amount] * amount)
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> tuple[bytes, str]:
        """The message and the id it was addressed to."""
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
        plain = plain[: -plain[-1]]
        (length,) = struct.unpack("!I", plain[16:20])
        return plain[20 : 20 + length], plain[20 + length :].decode()


def push_xml(fields: dict[str, Any]) -> bytes:
    """A push body: ``<xml>`` with CDATA strings (and bare integers, as WeChat does)."""
    parts = []
    for name, value in fields.items():
        if isinstance(value, int):
            parts.append(f"<{name}>{value}</{name}>")
        else:
            parts.append(f"<{name}><![CDATA[{value}]]></{name}>")
    return f"<xml>{''.join(parts)}</xml>".encode()


@dataclass
class SignedRequest:
    """What WeChat sends: the URL (path and query) and the body."""

    url: str
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)


class WechatServer:
    """WeChat's side of the callback: signs (and encrypts) what it sends the hub."""

    def __init__(
        self,
        *,
        token: str,
        app_id: str,
        encoding_aes_key: str = "",
        original_id: str = "gh_0123456789ab",
    ) -> None:
        self.token = token
        self.app_id = app_id
        self.cipher = WechatCipher(encoding_aes_key, app_id) if encoding_aes_key else None
        self.original_id = original_id

    def _stamp(self, timestamp: int | None, nonce: str | None) -> tuple[str, str]:
        return str(int(time.time()) if timestamp is None else timestamp), nonce or str(
            secrets.randbelow(10**9)
        )

    def verification(
        self, path: str, *, echostr: str = "", timestamp: int | None = None
    ) -> SignedRequest:
        """The console's URL verification (GET) of ``path``."""
        ts, nonce = self._stamp(timestamp, None)
        echostr = echostr or str(secrets.randbelow(10**19))
        params = {
            "signature": wechat_signature(self.token, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": echostr,
        }
        return SignedRequest(url=f"{path}?{urlencode(params)}", params=params)

    def event(self, openid: str, event: str, created: int | None = None, **extra: Any) -> bytes:
        fields: dict[str, Any] = {
            "ToUserName": self.original_id,
            "FromUserName": openid,
            "CreateTime": int(time.time()) if created is None else created,
            "MsgType": "event",
            "Event": event,
            **extra,
        }
        return push_xml(fields)

    def push(
        self,
        path: str,
        message: bytes,
        *,
        mode: str = "plaintext",
        timestamp: int | None = None,
        nonce: str | None = None,
        openid: str = "",
    ) -> SignedRequest:
        """A signed push of ``message`` (XML) in ``mode``: plaintext, compatible or safe."""
        ts, nonce = self._stamp(timestamp, nonce)
        params = {"signature": wechat_signature(self.token, ts, nonce), "timestamp": ts}
        params["nonce"] = nonce
        if openid:
            params["openid"] = openid
        if mode == "plaintext":
            return SignedRequest(url=f"{path}?{urlencode(params)}", body=message, params=params)
        assert self.cipher is not None, "an encrypted push needs encoding_aes_key"
        encrypted = self.cipher.encrypt(message)
        params["encrypt_type"] = "aes"
        params["msg_signature"] = wechat_signature(self.token, ts, nonce, encrypted)
        envelope: dict[str, Any] = {"ToUserName": self.original_id, "Encrypt": encrypted}
        body = push_xml(envelope)
        if mode == "compatible":
            # Compatible mode sends the plain elements next to the cipher text.
            cipher_element = f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
            body = message.replace(b"</xml>", cipher_element)
        return SignedRequest(url=f"{path}?{urlencode(params)}", body=body, params=params)

    def open_reply(self, body: bytes) -> bytes:
        """The passive reply inside an encrypted reply envelope, its signature checked."""
        root = ElementTree.fromstring(body)
        encrypted = root.findtext("Encrypt") or ""
        timestamp, nonce = root.findtext("TimeStamp") or "", root.findtext("Nonce") or ""
        expected = wechat_signature(self.token, timestamp, nonce, encrypted)
        assert root.findtext("MsgSignature") == expected, "the reply's MsgSignature is wrong"
        assert self.cipher is not None
        message, receiver = self.cipher.decrypt(encrypted)
        assert receiver == self.app_id, f"the reply is addressed to {receiver!r}"
        return message
