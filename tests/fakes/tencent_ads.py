"""A strict fake of the Tencent Ads Marketing API's customer-file audiences.

It enforces shared/platforms/tencent-ads.md:

- §2 common query parameters on every call: a current ``access_token`` (11000 when
  expired, 11002 when unknown), an integer ``timestamp`` within 300 s, a ``nonce`` of
  at most 32 characters never seen before; any missing → 12000. The skew and nonce
  codes (12001, 12002) are **assumed**: the spec says only "in the 12xxx range".
- §2 the OAuth token endpoint (``grant_type=refresh_token``): 11007 for a wrong app,
  11010 for a wrong refresh token, 11012 once it has expired. A new access token
  invalidates the previous one.
- §3 the endpoints' methods, fields and types: JSON for ``custom_audiences/add``
  (``type`` must be CUSTOMER_FILE, unknown fields refused), multipart for
  ``custom_audience_files/add`` (account_id, audience_id, user_id_type, file;
  operation_type APPEND|REDUCE; open_app_id required for openid types, refused for
  others), paged ``/get`` endpoints.
- §4/§5 the file: a ``.txt``/``.csv`` or a ``.zip`` holding exactly one, at most
  ``max_file_bytes``; UTF-8, ``\\n`` line endings, no blank lines; every line in the
  exact form of its ``user_id_type`` (lower-case 32-hex for MD5 types, 64-hex for SHA-256
  types, an upper-case hyphenated IDFA...). A raw phone or a wrong digest is refused
  with the line number. Refusals of parameters and files use 31001 and an unknown
  account or audience 31002: **assumed** codes (§6 says only "31xxx: permanent").
- §3.1 the envelope (HTTP 200 with ``code``/``message``/``message_cn``/``data``) and
  the ``X-TSA-Trace-Id`` and ``X-RateLimit-Remaining`` headers.
- §3.2 files go PENDING → PROCESSING → SUCCESS (or ERROR) as they are polled, and only
  a SUCCESS changes the audience's members.

Faults (:meth:`fail_next`): ``system_busy`` (10000), ``rate_limit`` (11017),
``per_second`` (11016), ``sys_exception`` (30001), ``http_429``, ``http_500``,
``timeout`` (no answer), ``timeout_after`` (the request is applied, the answer lost),
``expire_token`` (the token expires just before the request), ``process_error`` (the
next uploaded file ends in ERROR).
"""

from __future__ import annotations

import io
import itertools
import json
import re
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

import httpx

BASE_PATH = "/v3.0/"
OAUTH_PATH = "/oauth/token"
MAX_FILE_BYTES = 100 * 1024 * 1024

MISSING_COMMON = 12000
BAD_TIMESTAMP = 12001  # assumed
REPEATED_NONCE = 12002  # assumed
INVALID_PARAM = 31001  # assumed
UNKNOWN_OBJECT = 31002  # assumed

_MD5 = re.compile(r"[0-9a-f]{32}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_WECHAT = re.compile(r"[A-Za-z0-9_-]{6,64}")
#: Each user_id_type this fake parses, and the exact form of its lines (§5).
LINE_FORMS: dict[str, re.Pattern[str]] = {
    "HASH_MOBILE_PHONE": _MD5,
    "SHA256_MOBILE_PHONE": _SHA256,
    "HASH_IDFA": _MD5,
    "MD5_SHA256_IDFA": _SHA256,
    "IDFA": re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}"),
    "HASH_IMEI": _MD5,
    "MD5_SHA256_IMEI": _SHA256,
    "IMEI": re.compile(r"[0-9]{14,15}|[0-9a-f]{14}"),
    "HASH_OAID": _MD5,
    "MD5_SHA256_OAID": _SHA256,
    "OAID": re.compile(r"[^\s,]{1,128}"),
    "CAID": re.compile(r"[0-9a-z]{32}"),
    "WECHAT_OPENID": _WECHAT,
    "WX_OPENID": _WECHAT,
    "WX_UNIONID": _WECHAT,
}
OPENID_TYPES = frozenset({"WECHAT_OPENID", "WX_OPENID"})
#: Business-error faults and the code each answers with (§6).
FAULT_CODES = {
    "system_busy": 10000,
    "rate_limit": 11017,
    "per_second": 11016,
    "sys_exception": 30001,
}
#: Faults that act at another moment than "instead of the answer".
_LATER = frozenset({"expire_token", "process_error"})
_RAW_PHONE = re.compile(r"\+?(86)?1[3-9][0-9]{9}")


class Refused(Exception):
    """A business error: answered HTTP 200 with this code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class FakeAudience:
    audience_id: int
    name: str
    description: str
    #: Members as (user_id_type, open_app_id, line).
    members: set[tuple[str, str, str]] = field(default_factory=set)
    created_time: int = 0


@dataclass
class FakeFile:
    file_id: int
    audience_id: int
    user_id_type: str
    operation_type: str
    open_app_id: str
    lines: list[str]
    filename: str
    size: int
    polls_left: int
    status: str = "PENDING"
    fail: bool = False


@dataclass
class Fault:
    kind: str
    path: str | None
    times: int
    #: Matching requests to let through before the fault starts.
    skip: int = 0


class FakeTencentAds:
    """One advertiser account and one developer app authorized on it."""

    def __init__(
        self,
        *,
        account_id: int = 111111,
        client_id: int = 1110001,
        client_secret: str = "tencent-app-secret-0001",
        refresh_token: str = "tencent-refresh-token-0001",
        token_lifetime: int = 86400,
        processing_polls: int = 2,
        max_file_bytes: int = MAX_FILE_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.refresh_expired = False
        self.token_lifetime = token_lifetime
        self.processing_polls = processing_polls
        self.max_file_bytes = max_file_bytes
        self.clock = clock
        self.tokens: dict[str, float] = {}
        self.nonces: set[str] = set()
        self.audiences: dict[int, FakeAudience] = {}
        self.files: dict[int, FakeFile] = {}
        self.faults: list[Fault] = []
        self.calls: Counter[str] = Counter()
        self.refused: list[tuple[str, int, str]] = []
        self.tokens_issued = 0
        self._ids = itertools.count(2_837_392)

    # --- test controls -------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fail_next(
        self, kind: str, *, path: str | None = None, times: int = 1, skip: int = 0
    ) -> None:
        """Make ``times`` requests (to ``path``, when given) fail as ``kind``.

        The first ``skip`` matching requests pass untouched; each fault is counted
        only by the requests it could apply to.
        """
        known = {*FAULT_CODES, "http_429", "http_500", "timeout", "timeout_after"}
        assert kind in known | {"expire_token", "process_error"}, kind
        self.faults.append(Fault(kind, path, times, skip))

    def members(self, audience_id: int | str) -> set[tuple[str, str]]:
        """The audience's members as (user_id_type, line); openids as (type, app:line)."""
        audience = self.audiences[int(audience_id)]
        return {(t, f"{app}:{line}" if app else line) for t, app, line in audience.members}

    def audience_named(self, name: str) -> FakeAudience:
        (found,) = [a for a in self.audiences.values() if a.name == name]
        return found

    # --- dispatch ------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        params = {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}
        route = path.removeprefix(BASE_PATH)
        self.calls[route] += 1
        try:
            if path == OAUTH_PATH:
                return self._ok(self._oauth(request, params))
            if not path.startswith(BASE_PATH) or route not in self._routes():
                return httpx.Response(404, json={"code": 404, "message": "no such interface"})
            if self._take("expire_token", route):
                self.tokens = dict.fromkeys(self.tokens, self.clock() - 1)
            self._common(params)
            fault = self._fault(route)
            if fault in ("http_429", "http_500"):
                status = int(fault.removeprefix("http_"))
                return httpx.Response(status, text="busy", headers={"Retry-After": "2"})
            if fault == "timeout":
                raise httpx.ReadTimeout("injected timeout", request=request)
            if fault in FAULT_CODES:
                raise Refused(FAULT_CODES[fault], f"injected {fault}")
            method, action = self._routes()[route]
            if request.method != method:
                raise Refused(INVALID_PARAM, f"{route} takes {method}, not {request.method}")
            data = action(request, params)
            if fault == "timeout_after":
                raise httpx.ReadTimeout("injected timeout after applying", request=request)
            return self._ok(data)
        except Refused as exc:
            self.refused.append((route, exc.code, exc.message))
            return self._envelope(exc.code, exc.message, None)

    def _routes(self) -> dict[str, tuple[str, Callable[..., dict[str, Any]]]]:
        return {
            "custom_audiences/add": ("POST", self._create),
            "custom_audiences/get": ("GET", self._audiences),
            "custom_audience_files/add": ("POST", self._upload),
            "custom_audience_files/get": ("GET", self._file_status),
        }

    def _fault(self, route: str) -> str | None:
        for fault in list(self.faults):
            if fault.path in (None, route) and fault.kind not in _LATER and self._spend(fault):
                return fault.kind
        return None

    def _take(self, kind: str, route: str | None = None) -> bool:
        for fault in list(self.faults):
            if fault.kind == kind and fault.path in (None, route) and self._spend(fault):
                return True
        return False

    def _spend(self, fault: Fault) -> bool:
        """Whether ``fault`` applies to this request (it may still be skipping)."""
        if fault.skip > 0:
            fault.skip -= 1
            return False
        fault.times -= 1
        if fault.times <= 0:
            self.faults.remove(fault)
        return True

    def _ok(self, data: dict[str, Any]) -> httpx.Response:
        return self._envelope(0, "", data)

    def _envelope(self, code: int, message: str, data: dict[str, Any] | None) -> httpx.Response:
        trace = uuid.uuid4().hex
        body: dict[str, Any] = {"code": code, "message": message, "message_cn": message}
        if code:
            body["message"] = f"{message} trace_id: {trace}"
        else:
            body["data"] = data
        headers = {"X-TSA-Trace-Id": trace, "X-RateLimit-Remaining": "99,98"}
        return httpx.Response(200, json=body, headers=headers)

    # --- auth ----------------------------------------------------------------------

    def _oauth(self, request: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        if request.method != "GET":
            raise Refused(INVALID_PARAM, "oauth/token takes GET")
        if params.get("grant_type") != "refresh_token":
            raise Refused(INVALID_PARAM, "grant_type must be refresh_token here")
        if params.get("client_id") != str(self.client_id):
            raise Refused(11007, "client_id is invalid")
        if params.get("client_secret") != self.client_secret:
            raise Refused(11007, "client_secret does not match client_id")
        if params.get("refresh_token") != self.refresh_token:
            raise Refused(11010, "refresh_token is malformed")
        if self.refresh_expired:
            raise Refused(11012, "refresh_token has expired")
        self.tokens_issued += 1
        token = f"tencent-at-{self.tokens_issued}-{uuid.uuid4().hex[:12]}"
        self.tokens = {token: self.clock() + self.token_lifetime}  # the old one stops working
        return {
            "access_token": token,
            "refresh_token": self.refresh_token,
            "access_token_expires_in": self.token_lifetime,
            "refresh_token_expires_in": 2_592_000,
        }

    def _common(self, params: dict[str, str]) -> None:
        missing = [p for p in ("access_token", "timestamp", "nonce") if not params.get(p)]
        if missing:
            raise Refused(MISSING_COMMON, f"missing common parameters {missing}")
        expiry = self.tokens.get(params["access_token"])
        if expiry is None:
            raise Refused(11002, "access_token is invalid")
        if expiry <= self.clock():
            raise Refused(11000, "access_token has expired")
        stamp = params["timestamp"]
        if not stamp.isdigit() or abs(self.clock() - int(stamp)) > 300:
            raise Refused(BAD_TIMESTAMP, f"timestamp {stamp!r} is more than 300 s off")
        nonce = params["nonce"]
        if len(nonce) > 32 or nonce in self.nonces:
            raise Refused(REPEATED_NONCE, "nonce is longer than 32 characters or was used")
        self.nonces.add(nonce)

    # --- audiences -----------------------------------------------------------------

    def _account(self, value: Any) -> None:
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise Refused(INVALID_PARAM, "account_id must be an integer")
        if value != self.account_id:
            raise Refused(UNKNOWN_OBJECT, f"account {value} is not authorized for this app")

    def _create(self, request: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            raise Refused(INVALID_PARAM, "custom_audiences/add takes a JSON body")
        body = json.loads(request.content)
        allowed = {"account_id", "name", "type", "description", "outer_audience_id"}
        if not isinstance(body, dict) or set(body) - allowed:
            raise Refused(INVALID_PARAM, f"unknown fields {sorted(set(body) - allowed)}")
        self._account(body.get("account_id"))
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise Refused(INVALID_PARAM, "name is required")
        if body.get("type") != "CUSTOMER_FILE":
            raise Refused(INVALID_PARAM, "type must be CUSTOMER_FILE for customer files")
        audience_id = next(self._ids)
        self.audiences[audience_id] = FakeAudience(
            audience_id, name, str(body.get("description", "")), created_time=int(self.clock())
        )
        return {"audience_id": audience_id}

    def _audiences(self, request: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        self._account(params.get("account_id"))
        found = sorted(self.audiences.values(), key=lambda a: a.audience_id)
        if "audience_id" in params:
            found = [a for a in found if str(a.audience_id) == params["audience_id"]]
        return self._page([self._audience_struct(a) for a in found], params)

    def _audience_struct(self, audience: FakeAudience) -> dict[str, Any]:
        files = [f for f in self.files.values() if f.audience_id == audience.audience_id]
        busy = any(f.status in ("PENDING", "PROCESSING") for f in files)
        return {
            "audience_id": audience.audience_id,
            "account_id": self.account_id,
            "name": audience.name,
            "description": audience.description,
            "type": "CUSTOMER_FILE",
            "status": "PROCESSING" if busy else "SUCCESS",
            "online_status": "LOADING" if busy else "ONLINE",
            "user_count": len(audience.members),
            "created_time": audience.created_time,
        }

    def _page(self, items: list[dict[str, Any]], params: dict[str, str]) -> dict[str, Any]:
        page, size = params.get("page", "1"), params.get("page_size", "10")
        if not (page.isdigit() and size.isdigit() and int(page) >= 1 and 1 <= int(size) <= 100):
            raise Refused(INVALID_PARAM, "page must be >= 1 and page_size 1 to 100")
        start = (int(page) - 1) * int(size)
        total_page = max(1, -(-len(items) // int(size)))
        return {
            "list": items[start : start + int(size)],
            "page_info": {
                "page": int(page),
                "page_size": int(size),
                "total_number": len(items),
                "total_page": total_page,
            },
        }

    # --- files ---------------------------------------------------------------------

    def _upload(self, request: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        fields, upload = _multipart(request)
        allowed = {"account_id", "audience_id", "user_id_type", "operation_type", "open_app_id"}
        if set(fields) - allowed:
            raise Refused(INVALID_PARAM, f"unknown fields {sorted(set(fields) - allowed)}")
        for name in ("account_id", "audience_id", "user_id_type"):
            if not fields.get(name):
                raise Refused(INVALID_PARAM, f"{name} is required")
        if upload is None:
            raise Refused(INVALID_PARAM, "file is required")
        self._account(fields["account_id"])
        audience_id = fields["audience_id"]
        audience = self.audiences.get(int(audience_id)) if audience_id.isdigit() else None
        if audience is None:
            raise Refused(UNKNOWN_OBJECT, f"audience {fields['audience_id']} does not exist")
        kind = fields["user_id_type"]
        if kind not in LINE_FORMS:
            raise Refused(INVALID_PARAM, f"user_id_type {kind!r} is not supported")
        operation = fields.get("operation_type", "APPEND")
        if operation not in ("APPEND", "REDUCE"):
            raise Refused(INVALID_PARAM, f"operation_type {operation!r} is not APPEND or REDUCE")
        app_id = fields.get("open_app_id", "")
        if kind in OPENID_TYPES and not 1 <= len(app_id.encode()) <= 128:
            raise Refused(INVALID_PARAM, f"{kind} needs open_app_id (1-128 bytes)")
        if app_id and kind not in OPENID_TYPES:
            raise Refused(INVALID_PARAM, f"open_app_id is only for openid types, not {kind}")
        filename, content = upload
        lines = self._lines(kind, filename, content)
        fail = self._take("process_error", "custom_audience_files/add")
        file = FakeFile(
            file_id=next(self._ids),
            audience_id=audience.audience_id,
            user_id_type=kind,
            operation_type=operation,
            open_app_id=app_id,
            lines=lines,
            filename=filename,
            size=len(content),
            polls_left=self.processing_polls,
            fail=fail,
        )
        self.files[file.file_id] = file
        if file.polls_left <= 0:
            self._advance(file)
        return {"custom_audience_file_id": file.file_id}

    def _lines(self, kind: str, filename: str, content: bytes) -> list[str]:
        if len(content) > self.max_file_bytes:
            raise Refused(INVALID_PARAM, f"file is {len(content)} bytes; the limit is 100 MB")
        if filename.endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(content)) as archive:
                    names = archive.namelist()
                    if len(names) != 1 or not names[0].endswith((".txt", ".csv")):
                        raise Refused(INVALID_PARAM, "a zip must hold exactly one .txt or .csv")
                    content = archive.read(names[0])
            except zipfile.BadZipFile:
                raise Refused(INVALID_PARAM, "file is not a valid zip") from None
            if len(content) > self.max_file_bytes:
                raise Refused(INVALID_PARAM, "the zipped file is over 100 MB")
        elif not filename.endswith((".txt", ".csv")):
            raise Refused(INVALID_PARAM, f"file {filename!r} is not .txt, .csv or .zip")
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(INVALID_PARAM, "file is not UTF-8") from None
        if "\r" in text:
            raise Refused(INVALID_PARAM, "lines must end with \\n only")
        lines = text.removesuffix("\n").split("\n")
        form = LINE_FORMS[kind]
        for number, line in enumerate(lines, 1):
            if not form.fullmatch(line):
                hint = " (a raw phone number)" if _RAW_PHONE.fullmatch(line) else ""
                raise Refused(INVALID_PARAM, f"line {number} is not a {kind} value{hint}")
        return lines

    def _file_status(self, request: httpx.Request, params: dict[str, str]) -> dict[str, Any]:
        self._account(params.get("account_id"))
        found = sorted(self.files.values(), key=lambda f: f.file_id)
        if "audience_id" in params:
            found = [f for f in found if str(f.audience_id) == params["audience_id"]]
        if "custom_audience_file_id" in params:
            found = [f for f in found if str(f.file_id) == params["custom_audience_file_id"]]
        for file in found:
            self._advance(file)
        return self._page([self._file_struct(f) for f in found], params)

    def _advance(self, file: FakeFile) -> None:
        """One step of processing, taken each time someone looks at the file."""
        if file.status in ("SUCCESS", "ERROR"):
            return
        file.polls_left -= 1
        if file.polls_left > 0:
            file.status = "PROCESSING"
            return
        if file.fail:
            file.status = "ERROR"
            return
        audience = self.audiences[file.audience_id]
        entries = {(file.user_id_type, file.open_app_id, line) for line in file.lines}
        if file.operation_type == "APPEND":
            audience.members |= entries
        else:
            audience.members -= entries
        file.status = "SUCCESS"

    def _file_struct(self, file: FakeFile) -> dict[str, Any]:
        done = file.status == "SUCCESS"
        return {
            "audience_id": file.audience_id,
            "custom_audience_file_id": file.file_id,
            "name": file.filename,
            "user_id_type": file.user_id_type,
            "operation_type": file.operation_type,
            "open_app_id": file.open_app_id,
            "process_status": file.status,
            "process_code": 1001 if file.status == "ERROR" else 0,
            "error_message": "file could not be processed" if file.status == "ERROR" else "",
            "line_count": len(file.lines),
            "valid_line_count": len(file.lines) if done else 0,
            "user_count": len(file.lines) if done else 0,
            "size": file.size,
            "created_time": int(self.clock()),
        }


def _multipart(request: httpx.Request) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """The form fields and the ``file`` part (name, bytes) of a multipart request."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise Refused(INVALID_PARAM, "custom_audience_files/add takes multipart/form-data")
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.read())
    fields: dict[str, str] = {}
    upload: tuple[str, bytes] | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if name == "file":
            upload = (part.get_filename() or "", payload)
        elif isinstance(name, str):
            fields[name] = payload.decode()
    return fields, upload
