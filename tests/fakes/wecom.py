"""A strict fake of WeCom's group robot and application messages, with fault injection.

It enforces shared/platforms/wecom.md:

- robot (``POST /cgi-bin/webhook/send?key=``): an unknown key is 93000; a JSON object
  body of a known ``msgtype`` (40008 otherwise) with exactly the documented fields;
  ``text.content`` ≤ 2048 and ``markdown.content`` ≤ 4096 bytes of UTF-8 (40058); the
  21st message within 60 s for one key is 45009 (nothing delivered);
- ``GET /cgi-bin/gettoken``: corpid (40013) and corpsecret (40001) checked; a token
  valid ``token_ttl`` seconds; asking again within validity returns the same token;
- ``POST /cgi-bin/message/send?access_token=``: no token 41001, unknown 40014, expired
  42001; ``agentid`` must be the app's (40035); ``touser`` of at most 1000 ``|``-joined
  userids (40032); at least one of touser/toparty/totag (40035); text/markdown content
  ≤ 2048 bytes, textcard title ≤ 128, description ≤ 512 (40058); unknown userids come
  back lower-cased in ``invaliduser``, unlicensed ones in ``unlicenseduser``, the rest
  are delivered; all unknown is 81013; ``enable_duplicate_check`` drops an identical
  request within the interval.

Faults (``robot_faults`` / ``send_faults`` / ``token_faults``, consumed one per call of
that kind): ``busy`` (-1), ``throttle`` (45009), ``concurrent`` (45033), ``expire``
(every token expires before the call: 42001), ``bad_list`` (40031 for the whole
call, naming no one), ``500`` (HTTP 500, HTML), ``timeout``
(no answer, nothing done), ``timeout_after`` (no answer after delivering), ``refused``
(connection refused).
"""

from __future__ import annotations

import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

HOST = "qyapi.weixin.qq.com"
TEXT_MAX, MARKDOWN_MAX, APP_TEXT_MAX = 2048, 4096, 2048
ROBOT_PER_MINUTE = 20
MAX_USERS = 1000
_ROBOT_FIELDS = {
    "text": ({"content"}, {"mentioned_list", "mentioned_mobile_list"}),
    "markdown": ({"content"}, set()),
}
_APP_FIELDS = {
    "touser",
    "toparty",
    "totag",
    "agentid",
    "msgtype",
    "text",
    "markdown",
    "textcard",
    "safe",
    "enable_id_trans",
    "enable_duplicate_check",
    "duplicate_check_interval",
}


class Refusal(Exception):
    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode)
        self.errcode, self.errmsg = errcode, errmsg


@dataclass(frozen=True)
class AppMessage:
    """One member's delivered app message."""

    userid: str
    msgtype: str
    content: dict[str, Any]
    msgid: str


@dataclass
class FakeWeCom:
    robot_keys: set[str] = field(default_factory=lambda: {"robot-key-0123456789"})
    corp_id: str = "ww0123456789abcdef"
    corp_secret: str = "wecom-secret-0123456789"
    agent_id: int = 1000002
    #: Members of the corp the app can reach (userids, compared case-insensitively).
    users: set[str] = field(default_factory=lambda: {"zhangsan", "lisi", "wangwu", "ada"})
    #: Members without the licence app messages need.
    unlicensed: set[str] = field(default_factory=set)
    parties: set[str] = field(default_factory=lambda: {"1", "2"})
    tags: set[str] = field(default_factory=lambda: {"7"})
    token_ttl: float = 7200.0
    clock: Callable[[], float] = time.monotonic
    robot_faults: deque[str] = field(default_factory=deque)
    send_faults: deque[str] = field(default_factory=deque)
    token_faults: deque[str] = field(default_factory=deque)
    #: What each robot key posted and was delivered, in order.
    robot_posts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    delivered: list[AppMessage] = field(default_factory=list)
    #: How often a token was issued (a fresh one, not a cached answer).
    tokens_issued: int = 0
    #: Requests dropped by the duplicate check.
    duplicates: int = 0
    #: ``message/send`` calls that passed the token check.
    calls: int = 0
    _bad_list: bool = False
    _robot_times: dict[str, deque[float]] = field(default_factory=dict)
    _tokens: dict[str, float] = field(default_factory=dict)
    _recent: dict[str, float] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def userids_delivered(self) -> list[str]:
        return [m.userid for m in self.delivered]

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != HOST:
            return httpx.Response(404, text="not found")
        routes = {
            ("POST", "/cgi-bin/webhook/send"): (self.robot_faults, self._robot),
            ("GET", "/cgi-bin/gettoken"): (self.token_faults, self._gettoken),
            ("POST", "/cgi-bin/message/send"): (self.send_faults, self._send),
        }
        route = routes.get((request.method, request.url.path))
        if route is None:
            return httpx.Response(404, text="<html>404</html>")
        faults, handler = route
        fault = faults.popleft() if faults else None
        if fault == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if fault == "timeout":
            raise httpx.ReadTimeout("no answer", request=request)
        if fault == "500":
            return httpx.Response(500, text="<html>500 Internal Server Error</html>")
        if fault == "expire":
            self._tokens = {token: self.clock() - 1 for token in self._tokens}
        self._bad_list = fault == "bad_list"
        try:
            if fault in ("busy", "throttle", "concurrent"):
                codes = {"busy": (-1, "system busy"), "throttle": (45009, "api freq out of limit")}
                raise Refusal(*codes.get(fault, (45033, "api concurrent out of limit")))
            answer = handler(request)
        except Refusal as refusal:
            return _reply({"errcode": refusal.errcode, "errmsg": refusal.errmsg})
        if fault == "timeout_after":
            raise httpx.ReadTimeout("no answer", request=request)
        return _reply({"errcode": 0, "errmsg": "ok", **answer})

    # --- group robot ---------------------------------------------------------------

    def _robot(self, request: httpx.Request) -> dict[str, Any]:
        key = request.url.params.get("key", "")
        if key not in self.robot_keys:
            raise Refusal(93000, "invalid webhook url, hint: [1700000000_fake]")
        body = _json(request)
        msgtype = body.get("msgtype")
        if msgtype not in _ROBOT_FIELDS or set(body) != {"msgtype", msgtype}:
            raise Refusal(40008, "invalid message type")
        part = body[msgtype]
        required, optional = _ROBOT_FIELDS[msgtype]
        if not isinstance(part, dict) or not required <= set(part) <= required | optional:
            raise Refusal(40035, f"invalid {msgtype} parameter")
        content = part["content"]
        if not isinstance(content, str) or not content:
            raise Refusal(40035, f"{msgtype}.content is empty")
        cap = TEXT_MAX if msgtype == "text" else MARKDOWN_MAX
        if len(content.encode()) > cap:
            raise Refusal(40058, f"{msgtype}.content exceed max length {cap}")
        for name in optional & set(part):
            if not isinstance(part[name], list) or not all(isinstance(m, str) for m in part[name]):
                raise Refusal(40035, f"invalid {name}")
        now = self.clock()
        times = self._robot_times.setdefault(key, deque())
        while times and now - times[0] >= 60:
            times.popleft()
        if len(times) >= ROBOT_PER_MINUTE:
            raise Refusal(45009, "api freq out of limit")
        times.append(now)
        self.robot_posts.append((key, body))
        return {}

    # --- application ---------------------------------------------------------------

    def _gettoken(self, request: httpx.Request) -> dict[str, Any]:
        params = request.url.params
        if params.get("corpid") != self.corp_id:
            raise Refusal(40013, "invalid corpid")
        if params.get("corpsecret") != self.corp_secret:
            raise Refusal(40001, "invalid credential")
        now = self.clock()
        for token, expires in self._tokens.items():
            if expires > now:
                return {"access_token": token, "expires_in": int(expires - now)}
        self.tokens_issued += 1
        token = f"wecom-token-{self.tokens_issued:04d}-" + "x" * 40
        self._tokens = {token: now + self.token_ttl}
        return {"access_token": token, "expires_in": int(self.token_ttl)}

    def _send(self, request: httpx.Request) -> dict[str, Any]:
        token = request.url.params.get("access_token")
        if not token:
            raise Refusal(41001, "access_token missing")
        if token not in self._tokens:
            raise Refusal(40014, "invalid access_token")
        if self._tokens[token] <= self.clock():
            raise Refusal(42001, "access_token expired")
        self.calls += 1
        if self._bad_list:
            raise Refusal(40031, "invalid user list")
        body = _json(request)
        if set(body) - _APP_FIELDS:
            raise Refusal(40035, f"unknown fields {sorted(set(body) - _APP_FIELDS)}")
        if body.get("agentid") != self.agent_id:
            raise Refusal(40035, "invalid agentid")
        content = self._content(body)
        users = _split(body.get("touser", ""), "touser")
        parties = _split(body.get("toparty", ""), "toparty")
        tags = _split(body.get("totag", ""), "totag")
        if not (users or parties or tags):
            raise Refusal(40035, "touser, toparty and totag are all empty")
        if len(users) > MAX_USERS:
            raise Refusal(40032, "invalid user list size")
        invalid = [u.lower() for u in users if u.lower() not in self.users]
        unlicensed = [u.lower() for u in users if u.lower() in self.unlicensed]
        bad_parties = [p for p in parties if p not in self.parties]
        bad_tags = [t for t in tags if t not in self.tags]
        if (
            len(invalid) == len(users)
            and len(bad_parties) == len(parties)
            and not (set(tags) - set(bad_tags))
        ):
            raise Refusal(81013, "user & party & tag all invalid")
        if self._duplicate(body):
            self.duplicates += 1
            return {"msgid": "duplicate"}
        msgid = f"msg{next(self._ids):06d}"
        for userid in users:
            if userid.lower() not in invalid and userid.lower() not in unlicensed:
                self.delivered.append(AppMessage(userid, body["msgtype"], content, msgid))
        answer: dict[str, Any] = {"msgid": msgid}
        for name, values in (
            ("invaliduser", invalid),
            ("unlicenseduser", unlicensed),
            ("invalidparty", bad_parties),
            ("invalidtag", bad_tags),
        ):
            if values:
                answer[name] = "|".join(values)
        return answer

    def _content(self, body: dict[str, Any]) -> dict[str, Any]:
        msgtype = body.get("msgtype")
        part = body.get(msgtype) if isinstance(msgtype, str) else None
        if msgtype not in ("text", "markdown", "textcard") or not isinstance(part, dict):
            raise Refusal(40008, "invalid message type")
        if msgtype in ("text", "markdown"):
            content = part.get("content")
            if set(part) != {"content"} or not isinstance(content, str) or not content:
                raise Refusal(40035, f"invalid {msgtype}.content")
            if len(content.encode()) > APP_TEXT_MAX:
                raise Refusal(40058, f"{msgtype}.content exceed max length {APP_TEXT_MAX}")
            return part
        if (
            not {"title", "description", "url"}
            <= set(part)
            <= {
                "title",
                "description",
                "url",
                "btntxt",
            }
        ):
            raise Refusal(40035, "invalid textcard")
        if len(part["title"].encode()) > 128 or len(part["description"].encode()) > 512:
            raise Refusal(40058, "textcard exceed max length")
        return part

    def _duplicate(self, body: dict[str, Any]) -> bool:
        if body.get("enable_duplicate_check") != 1:
            return False
        now = self.clock()
        fingerprint = json.dumps(body, sort_keys=True)
        seen = self._recent.get(fingerprint)
        self._recent[fingerprint] = now
        return seen is not None and now - seen < body.get("duplicate_check_interval", 1800)


def _split(joined: Any, name: str) -> list[str]:
    if not isinstance(joined, str):
        raise Refusal(40035, f"{name} must be a string")
    return [part for part in joined.split("|") if part]


def _json(request: httpx.Request) -> dict[str, Any]:
    if not request.headers.get("content-type", "").startswith("application/json"):
        raise Refusal(40035, "content-type must be application/json")
    try:
        body = json.loads(request.content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Refusal(40035, "invalid json") from None
    if not isinstance(body, dict):
        raise Refusal(40035, "invalid json")
    return body


def _reply(body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json=body)
