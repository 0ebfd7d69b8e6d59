"""A strict fake of the Ocean Engine Marketing API's DMP data sources, with fault injection.

It enforces shared/platforms/oceanengine.md: the ``Access-Token`` header (40104 when
missing, 40105 when unknown, 40102 when expired), trailing-slash paths, JSON bodies of
exactly the documented fields and types, the OAuth refresh flow (which rotates the
refresh token), and the upload file format: the multipart ``file_signature`` must be the
MD5 of the zip, the zip at most ``max_zip_bytes``; every line of every file inside must
be the base64 of a ``DmpData`` protobuf that this module decodes on its own (it shares
no code with the plugin), with at most 10,000 ``IdItem``s, a known ``dataType``, a
lower-case ``id`` of the type's form (32 hex digits for ``*_MD5``, 64 for
``MOBILE_HASH_SHA256``). A bad file is refused whole (code 40000), as the platform does.

Data sources change asynchronously: a create or update adds a change log in status 0;
each ``data_source/read`` that lists the source moves its oldest unfinished change on
(1 = processing) and, after ``parse_reads`` reads, applies it (2) to ``users``. The
first parse gives the source its ``default_audience``. Publishing snapshots ``users``
into ``published`` and is refused within 24 h of the previous one (fake clock);
creates (100/day per advertiser) and updates (50/day per data source) are capped.

Faults, queued with :meth:`fail`, are consumed by the next request to a matching path:
``rate_limit`` (code 40100), ``http429`` (with Retry-After), ``busy`` (code 50000),
``http500``, ``timeout`` (no answer; ``timeout_after`` applies the request first),
``expire_token`` (every access token issued so far expires now: code 40102), and
``parse_failure`` (the next change log ends in status 3).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx

DAY = 86_400.0
MAX_ITEMS_PER_LINE = 10_000
MAX_FILE_PATHS = 1_000
MAX_PUSH_TARGETS = 100
MAX_READ_IDS = 400
DATA_TYPES = {
    0: "IMEI",
    1: "IDFA",
    2: "UID",
    4: "IMEI_MD5",
    5: "IDFA_MD5",
    6: "MOBILE_HASH_SHA256",
    7: "OAID",
    8: "OAID_MD5",
}
DEVICE_TYPES = {"IMEI", "IDFA", "IMEI_MD5", "IDFA_MD5", "OAID", "OAID_MD5"}
_FORMS = {
    "IMEI": re.compile(r"[0-9a-f]{14,16}"),
    "IDFA": re.compile(r"[0-9a-z][0-9a-z-]*"),
    "UID": re.compile(r"[0-9]+"),
    "IMEI_MD5": re.compile(r"[0-9a-f]{32}"),
    "IDFA_MD5": re.compile(r"[0-9a-f]{32}"),
    "MOBILE_HASH_SHA256": re.compile(r"[0-9a-f]{64}"),
    "OAID": re.compile(r"[0-9a-z][0-9a-z-]*"),
    "OAID_MD5": re.compile(r"[0-9a-f]{32}"),
}
_HEX32 = re.compile(r"[0-9a-f]{32}")
_UNSET = object()

User = tuple[str, str]
"""One id as the platform holds it: (data type name, id)."""


class ApiError(Exception):
    """Answered as the envelope ``{"code": code, "message": message}`` (HTTP 200)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Timeout(Exception):
    """No answer in time."""


@dataclass
class Fault:
    kind: str
    path: str | None = None


@dataclass
class ChangeLog:
    change_log_id: int
    action: int
    file_paths: list[str]
    users: set[User]
    status: int = 0
    reads: int = 0
    created_at: float = 0.0


@dataclass
class DataSource:
    data_source_id: str
    name: str
    description: str
    kind: str
    created_at: float
    users: set[User] = field(default_factory=set)
    uploaded: int = 0
    change_logs: list[ChangeLog] = field(default_factory=list)
    audience_id: int | None = None
    published: set[User] | None = None
    published_at: float | None = None
    pushed_to: set[int] = field(default_factory=set)
    updates: list[float] = field(default_factory=list)


class FakeOceanEngine:
    """The platform's state and rules for one advertiser and one developer app."""

    def __init__(
        self,
        *,
        advertiser_id: int = 1_760_000_000_001,
        app_id: int = 1_700_000_000_123,
        app_secret: str = "ocean-app-secret-0123456789",
        refresh_token: str = "ocean-refresh-token-initial-0001",
        parse_reads: int = 2,
        same_entity: frozenset[int] = frozenset(),
        max_zip_bytes: int = 50 * 1024 * 1024,
        clock: Callable[[], float] | None = None,
        token_lifetime: float = DAY,
        population: Iterable[str] = (),
    ) -> None:
        self.advertiser_id = advertiser_id
        self.app_id = app_id
        self.app_secret = app_secret
        self.refresh_token = refresh_token
        self.parse_reads = parse_reads
        self.same_entity = same_entity
        self.max_zip_bytes = max_zip_bytes
        self.now = 1_790_000_000.0
        self._clock = clock
        self.token_lifetime = token_lifetime
        # The platform's own users, by the 11-digit mainland numbers it knows: what it
        # can match, and how it spots a phone hashed in another form (+86..., 86...).
        self.population = {_sha256(phone) for phone in population}
        self.misnormalized = {
            _sha256(form) for phone in population for form in (f"+86{phone}", f"86{phone}")
        }
        self.access_tokens: dict[str, float] = {}
        self.files: dict[str, tuple[set[User], int, float]] = {}
        self.sources: dict[str, DataSource] = {}
        self.faults: list[Fault] = []
        self.calls: Counter[str] = Counter()
        self.errors: Counter[int] = Counter()
        self.faults_injected: Counter[str] = Counter()
        self.operations: list[tuple[str, int]] = []
        self.creates: list[float] = []
        self.refreshes = 0
        self._serial = 0

    # --- the test's handles ---------------------------------------------------------------

    def time(self) -> float:
        return self._clock() if self._clock else self.now

    def advance(self, seconds: float) -> None:
        """Move the fake clock (publish rule, daily caps, token and file expiry)."""
        self.now += seconds

    def fail(self, kind: str, *, path: str | None = None, times: int = 1) -> None:
        """Queue ``times`` faults of ``kind`` for the next requests to ``path`` (any)."""
        self.faults.extend(Fault(kind, path) for _ in range(times))

    def users(self, data_source_id: str | None = None) -> set[User]:
        """The ids a data source holds now (the only one, when there is one)."""
        return self._only(data_source_id).users

    def published(self, data_source_id: str | None = None) -> set[User] | None:
        """The ids its audience was last published with (None: never published)."""
        return self._only(data_source_id).published

    def _only(self, data_source_id: str | None) -> DataSource:
        if data_source_id is not None:
            return self.sources[data_source_id]
        assert len(self.sources) == 1, f"{len(self.sources)} data sources"
        return next(iter(self.sources.values()))

    def finish_parsing(self) -> None:
        """Let every pending change finish, as an hour of waiting would."""
        for source in self.sources.values():
            while self._advance(source, force=True):
                pass

    # --- HTTP -------------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/open_api/")
        self.calls[path] += 1
        try:
            if not request.url.path.startswith("/open_api/") or not path.endswith("/"):
                return httpx.Response(404, json={"message": "not found"})
            data = self._route(request, path)
        except Timeout:
            raise httpx.ReadTimeout("injected timeout", request=request) from None
        except ApiError as exc:
            self.errors[exc.code] += 1
            body = {"code": exc.code, "message": exc.message, "request_id": self._request_id()}
            return httpx.Response(200, json=body)
        except _HttpFault as fault:
            return httpx.Response(fault.status, json={"message": "injected"}, headers=fault.headers)
        body = {"code": 0, "message": "OK", "request_id": self._request_id(), "data": data}
        return httpx.Response(200, json=body)

    def _route(self, request: httpx.Request, path: str) -> dict[str, Any]:
        routes: dict[tuple[str, str], Callable[[Any], dict[str, Any]]] = {
            ("POST", "2/dmp/data_source/file/upload/"): self._upload,
            ("POST", "2/dmp/data_source/create/"): self._create,
            ("POST", "2/dmp/data_source/update/"): self._update,
            ("GET", "2/dmp/data_source/read/"): self._read,
            ("POST", "2/dmp/custom_audience/publish/"): self._publish,
            ("POST", "2/dmp/custom_audience/push_v2/"): self._push,
            ("GET", "2/dmp/custom_audience/select/"): self._select,
        }
        if (request.method, path) == ("POST", "oauth2/refresh_token/"):
            body = _json_body(request)
            self._fault_for(path)
            return self._refresh(body)
        route = routes.get((request.method, path))
        if route is None:
            raise _HttpFault(404)
        self._authenticate(request)
        fault = self._fault_for(path)
        if request.method == "GET":
            payload: Any = dict(request.url.params)
        elif path.endswith("file/upload/"):
            payload = _multipart(request)
        else:
            payload = _json_body(request)
        data = route(payload)
        if fault == "timeout_after":
            raise Timeout()  # applied, but the answer never arrives
        return data

    def _fault_for(self, path: str) -> str | None:
        for index, fault in enumerate(self.faults):
            if fault.path is None or fault.path == path:
                if fault.kind == "parse_failure":
                    continue  # consumed by the next change log, not by a request
                del self.faults[index]
                self.faults_injected[fault.kind] += 1
                return _raise_fault(fault.kind, self)
        return None

    def _authenticate(self, request: httpx.Request) -> None:
        token = request.headers.get("Access-Token")
        if not token:
            raise ApiError(40104, "access_token is empty")
        expires = self.access_tokens.get(token)
        if expires is None:
            raise ApiError(40105, "access_token is invalid")
        if expires <= self.time():
            raise ApiError(40102, "access_token has expired")

    def _request_id(self) -> str:
        self._serial += 1
        return f"2026112300000{self._serial:08d}"

    # --- OAuth --------------------------------------------------------------------------------

    def _refresh(self, body: dict[str, Any]) -> dict[str, Any]:
        _exact(body, {"app_id": int, "secret": str, "grant_type": str, "refresh_token": str})
        if body["grant_type"] != "refresh_token":
            raise ApiError(40000, "grant_type must be refresh_token")
        if body["app_id"] != self.app_id or body["secret"] != self.app_secret:
            raise ApiError(40001, "app_id or secret is invalid")
        if body["refresh_token"] != self.refresh_token:
            raise ApiError(40107, "refresh_token is invalid")
        self.refreshes += 1
        access = f"ocean-access-token-{self.refreshes:04d}"
        self.refresh_token = f"ocean-refresh-token-rotated-{self.refreshes:04d}"
        self.access_tokens[access] = self.time() + self.token_lifetime
        return {
            "access_token": access,
            "expires_in": int(self.token_lifetime),
            "refresh_token": self.refresh_token,
            "refresh_token_expires_in": int(30 * DAY),
            "advertiser_ids": [self.advertiser_id],
        }

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now."""
        for token in self.access_tokens:
            self.access_tokens[token] = self.time()

    # --- files --------------------------------------------------------------------------------

    def _upload(self, form: dict[str, Any]) -> dict[str, Any]:
        if set(form) != {"advertiser_id", "file_signature", "file"}:
            raise ApiError(
                40000, f"upload needs advertiser_id, file_signature and file: {sorted(form)}"
            )
        self._advertiser(form["advertiser_id"])
        signature, data = form["file_signature"], form["file"]
        if not isinstance(signature, str) or not _HEX32.fullmatch(signature):
            raise ApiError(40000, "file_signature must be 32 lower-case hex digits")
        if not isinstance(data, bytes):
            raise ApiError(40000, "file must be a file part")
        if len(data) > self.max_zip_bytes:
            raise ApiError(40000, f"file is {len(data)} bytes, over {self.max_zip_bytes}")
        if hashlib.md5(data).hexdigest() != signature:
            raise ApiError(40000, "file_signature does not match the file's MD5")
        users, count = parse_zip(data)
        wrong = sum(1 for t, i in users if t == "MOBILE_HASH_SHA256" and i in self.misnormalized)
        if wrong:
            raise ApiError(
                40000, f"{wrong} MOBILE_HASH_SHA256 ids hash a phone with its country code"
            )
        file_path = (
            f"tos-cn/dmp/{self.advertiser_id}/{hashlib.sha1(data).hexdigest()}-{len(self.files)}"
        )
        self.files[file_path] = (users, count, self.time())
        return {"file_path": file_path}

    def _files(self, paths: Any, kind: str) -> tuple[set[User], int]:
        if not (isinstance(paths, list) and 1 <= len(paths) <= MAX_FILE_PATHS):
            raise ApiError(40000, f"file_paths must list 1 to {MAX_FILE_PATHS} paths")
        users: set[User] = set()
        count = 0
        for path in paths:
            held = self.files.get(path) if isinstance(path, str) else None
            if held is None or self.time() - held[2] > 14 * DAY:
                raise ApiError(40000, f"file_path {path!r} is unknown or expired")
            users |= held[0]
            count += held[1]
        if kind == "DID" and any(data_type not in DEVICE_TYPES for data_type, _ in users):
            raise ApiError(40000, "a DID data source takes device ids only")
        return users, count

    # --- data sources -------------------------------------------------------------------------

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        _exact(
            body,
            {
                "advertiser_id": int,
                "data_source_name": str,
                "description": str,
                "data_format": int,
                "file_storage_type": int,
                "file_paths": list,
                "data_source_type": str,
            },
            optional=frozenset({"description", "data_source_type"}),
        )
        self._advertiser(body["advertiser_id"])
        _formats(body)
        name = body["data_source_name"]
        if not 1 <= len(name) <= 30 or len(body.get("description", "")) > 256:
            raise ApiError(40000, "data_source_name must be 1-30 characters, description ≤256")
        kind = body.get("data_source_type", "UID")
        if kind not in ("UID", "DID"):
            raise ApiError(40000, "data_source_type must be UID or DID")
        today = [t for t in self.creates if self.time() - t < DAY]
        if len(today) >= 100:
            raise ApiError(40000, "at most 100 data sources a day per advertiser")
        users, count = self._files(body["file_paths"], kind)
        self.creates.append(self.time())
        source_id = str(7_000_000_000 + len(self.sources) + 1)
        source = DataSource(source_id, name, body.get("description", ""), kind, self.time())
        self.sources[source_id] = source
        self._change(source, 0, body["file_paths"], users, count)
        return {"data_source_id": source_id}

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        _exact(
            body,
            {
                "advertiser_id": int,
                "data_source_id": str,
                "operation_type": int,
                "data_format": int,
                "file_storage_type": int,
                "file_paths": list,
            },
        )
        self._advertiser(body["advertiser_id"])
        _formats(body)
        source = self._source(body["data_source_id"])
        if body["operation_type"] not in (1, 2, 3):
            raise ApiError(40000, "operation_type must be 1 (append), 2 (delete) or 3 (reset)")
        source.updates = [t for t in source.updates if self.time() - t < DAY]
        if len(source.updates) >= 50:
            raise ApiError(40000, "at most 50 updates a day per data source")
        users, count = self._files(body["file_paths"], source.kind)
        source.updates.append(self.time())
        self._change(source, body["operation_type"], body["file_paths"], users, count)
        return {}

    def _change(
        self, source: DataSource, action: int, paths: list[str], users: set[User], count: int
    ) -> None:
        change = ChangeLog(len(source.change_logs) + 1, action, list(paths), users)
        change.created_at = self.time()
        if any(f.kind == "parse_failure" for f in self.faults):
            self.faults.remove(next(f for f in self.faults if f.kind == "parse_failure"))
            self.faults_injected["parse_failure"] += 1
            change.status = -1  # fails when its turn comes
        source.uploaded += count
        source.change_logs.append(change)
        self.operations.append(({0: "create", 1: "append", 2: "delete", 3: "reset"}[action], count))
        if self.parse_reads == 0:
            while self._advance(source, force=True):
                pass

    def _advance(self, source: DataSource, *, force: bool = False) -> bool:
        """Move the oldest unfinished change of ``source`` on; True if one finished."""
        change = next((c for c in source.change_logs if c.status in (0, 1, -1)), None)
        if change is None:
            return False
        change.reads += 1
        if not force and change.reads < self.parse_reads:
            if change.status == 0:
                change.status = 1
            return False
        if change.status == -1:
            change.status = 3
            return True
        if change.action in (0, 3):
            source.users = set(change.users)
        elif change.action == 1:
            source.users |= change.users
        else:
            source.users -= change.users
        change.status = 2
        if source.audience_id is None:
            source.audience_id = 900_000_000 + int(source.data_source_id) % 1_000_000
        return True

    def _read(self, params: dict[str, str]) -> dict[str, Any]:
        if set(params) != {"advertiser_id", "data_source_id_list"}:
            raise ApiError(40000, "data_source/read takes advertiser_id and data_source_id_list")
        self._advertiser(params["advertiser_id"])
        ids = _json_list(params["data_source_id_list"], "data_source_id_list")
        if not 1 <= len(ids) <= MAX_READ_IDS or not all(isinstance(i, str) for i in ids):
            raise ApiError(40000, f"data_source_id_list must hold 1 to {MAX_READ_IDS} strings")
        listed = []
        for source_id in ids:
            source = self.sources.get(source_id)
            if source is None:
                continue  # the platform leaves unknown ids out
            self._advance(source)
            listed.append(self._describe(source))
        return {"data_list": listed}

    def _describe(self, source: DataSource) -> dict[str, Any]:
        done = [c for c in source.change_logs if c.status == 2 and c.action != 0]
        status = source.change_logs[0].status if source.change_logs else 0
        described: dict[str, Any] = {
            "name": source.name,
            "data_source_id": source.data_source_id,
            "description": source.description,
            "status": max(status, 0),
            "cover_num": self._covered(source),
            "upload_num": source.uploaded,
            "latest_published_changelog_id": done[-1].change_log_id if done else -1,
            "data_source_type": source.kind,
            "change_logs": [
                {
                    "change_log_id": c.change_log_id,
                    "action": c.action,
                    "file_paths": c.file_paths,
                    "status": max(c.status, 0),
                }
                for c in source.change_logs
            ],
        }
        if source.audience_id is not None:
            described["default_audience"] = self._audience(source)
        return described

    def _audience(self, source: DataSource) -> dict[str, Any]:
        if source.published is None or source.published != source.users:
            delivery = "CUSTOM_AUDIENCE_DELIVERY_STATUS_NEED_PUBLISH"
        else:
            delivery = "CUSTOM_AUDIENCE_DELIVERY_STATUS_AVAILABLE"
        return {
            "custom_audience_id": source.audience_id,
            "name": source.name,
            "status": 1,
            "push_status": 2 if source.pushed_to else 0,
            "upload_num": source.uploaded,
            "cover_num": self._covered(source),
            "delivery_status": delivery,
            "data_source_id": source.data_source_id,
            "tag": "API文件数据源",
        }

    def _covered(self, source: DataSource) -> int:
        """Ids matched to platform users: phones it knows (all of them without a
        population), device ids always."""
        if not self.population:
            return len(source.users)
        return sum(1 for t, i in source.users if t != "MOBILE_HASH_SHA256" or i in self.population)

    def _source(self, source_id: Any) -> DataSource:
        source = self.sources.get(source_id) if isinstance(source_id, str) else None
        if source is None:
            raise ApiError(40000, f"data_source_id {source_id!r} does not exist")
        return source

    def _advertiser(self, value: Any) -> None:
        if str(value) != str(self.advertiser_id):
            raise ApiError(40002, "no permission for this advertiser")

    # --- audiences ----------------------------------------------------------------------------

    def _by_audience(self, audience_id: Any) -> DataSource:
        for source in self.sources.values():
            if source.audience_id is not None and source.audience_id == audience_id:
                return source
        raise ApiError(40000, f"custom_audience_id {audience_id!r} does not exist")

    def _publish(self, body: dict[str, Any]) -> dict[str, Any]:
        _exact(body, {"advertiser_id": int, "custom_audience_id": int})
        self._advertiser(body["advertiser_id"])
        source = self._by_audience(body["custom_audience_id"])
        if source.published_at is not None and self.time() - source.published_at < DAY:
            raise ApiError(40000, "an audience can be published once every 24 hours")
        source.published = set(source.users)
        source.published_at = self.time()
        return {}

    def _push(self, body: dict[str, Any]) -> dict[str, Any]:
        _exact(
            body, {"advertiser_id": int, "custom_audience_id": int, "target_advertiser_ids": list}
        )
        self._advertiser(body["advertiser_id"])
        source = self._by_audience(body["custom_audience_id"])
        targets = body["target_advertiser_ids"]
        if not 1 <= len(targets) <= MAX_PUSH_TARGETS or not all(
            isinstance(t, int) for t in targets
        ):
            raise ApiError(40000, f"target_advertiser_ids must hold 1 to {MAX_PUSH_TARGETS} ids")
        if source.published is None:
            raise ApiError(40000, "publish the audience before pushing it")
        strangers = [t for t in targets if t not in self.same_entity]
        if strangers:
            raise ApiError(40000, f"advertisers {strangers} are not of the same legal entity")
        source.pushed_to.update(targets)
        return {}

    def _select(self, params: dict[str, str]) -> dict[str, Any]:
        allowed = {"advertiser_id", "select_type", "offset", "limit"}
        if not set(params) <= allowed or "advertiser_id" not in params:
            raise ApiError(40000, f"custom_audience/select takes {sorted(allowed)}")
        self._advertiser(params["advertiser_id"])
        try:
            select_type = int(params.get("select_type", "0"))
            offset = int(params.get("offset", "0"))
            limit = int(params.get("limit", "100"))
        except ValueError:
            raise ApiError(40000, "select_type, offset and limit are integers") from None
        if select_type not in (0, 1) or offset < 0 or not 1 <= limit <= 100:
            raise ApiError(40000, "select_type 0/1, offset ≥ 0, limit 1-100")
        audiences = [self._audience(s) for s in self.sources.values() if s.audience_id is not None]
        if select_type == 1:
            audiences = [a for a in audiences if a["delivery_status"].endswith("AVAILABLE")]
        page = audiences[offset : offset + limit]
        return {
            "custom_audience_list": page,
            "offset": offset + len(page),
            "total_num": len(audiences),
        }


class _HttpFault(Exception):
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.headers = headers or {}


def _raise_fault(kind: str, fake: FakeOceanEngine) -> str | None:
    if kind == "rate_limit":
        raise ApiError(40100, "request too frequent")
    if kind == "busy":
        raise ApiError(50000, "system busy")
    if kind == "http429":
        raise _HttpFault(429, {"Retry-After": "2"})
    if kind == "http500":
        raise _HttpFault(500)
    if kind == "timeout":
        raise Timeout()
    if kind == "expire_token":
        fake.expire_tokens()
        raise ApiError(40102, "access_token has expired")
    if kind == "timeout_after":
        return kind
    raise ValueError(f"unknown fault {kind!r}")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- request bodies ----------------------------------------------------------------------------


def _json_body(request: httpx.Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0] != "application/json":
        raise ApiError(40000, "Content-Type must be application/json")
    try:
        body = json.loads(request.content)
    except ValueError:
        raise ApiError(40000, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(40000, "the body must be a JSON object")
    return body


def _exact(
    body: dict[str, Any], fields: dict[str, type], optional: frozenset[str] = frozenset()
) -> None:
    """Refuse unknown or missing fields and wrong types (bool is not an int here)."""
    unknown = set(body) - set(fields)
    if unknown:
        raise ApiError(40000, f"unknown fields {sorted(unknown)}")
    for name, kind in fields.items():
        if name not in body:
            if name in optional:
                continue
            raise ApiError(40000, f"{name} is required")
        value = body[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ApiError(40000, f"{name} must be {kind.__name__}")


def _formats(body: dict[str, Any]) -> None:
    if body["data_format"] != 0 or body["file_storage_type"] != 0:
        raise ApiError(40000, "data_format and file_storage_type must be 0")


def _json_list(text: str, name: str) -> list[Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise ApiError(40000, f"{name} must be a JSON array") from None
    if not isinstance(value, list):
        raise ApiError(40000, f"{name} must be a JSON array")
    return value


def _multipart(request: httpx.Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(40000, "upload must be multipart/form-data")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.content
    )
    form: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if part.get_filename() is not None:
            form[str(name)] = payload
        else:
            form[str(name)] = payload.decode() if isinstance(payload, bytes) else payload
    return form


# --- the file format ---------------------------------------------------------------------------


def parse_zip(data: bytes) -> tuple[set[User], int]:
    """The ids of an upload (and how many items it held), or ApiError naming the fault."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ApiError(40000, "file is not a zip") from None
    users: set[User] = set()
    count = 0
    with archive:
        for info in archive.infolist():
            text = archive.read(info).decode("ascii", errors="strict")
            for number, line in enumerate(_lines(text), start=1):
                where = f"{info.filename} line {number}"
                try:
                    raw = base64.b64decode(line, validate=True)
                except (binascii.Error, ValueError):
                    raise ApiError(40000, f"{where} is not base64") from None
                items = decode_dmp_data(raw, where)
                if len(items) > MAX_ITEMS_PER_LINE:
                    raise ApiError(40000, f"{where} holds {len(items)} ids, over 10,000")
                users.update(items)
                count += len(items)
    return users, count


def _lines(text: str) -> Iterator[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        if not line:
            raise ApiError(40000, "a file has an empty line")
        yield line


def decode_dmp_data(raw: bytes, where: str = "line") -> list[User]:
    """Decode a ``DmpData``; validate each ``IdItem`` as the platform does."""
    items = []
    for number, wire, value in _fields(raw, where):
        if (number, wire) != (1, 2):
            raise ApiError(40000, f"{where}: DmpData has only idList (field 1, bytes)")
        items.append(_id_item(value, where))
    return items


def _id_item(raw: bytes, where: str) -> User:
    data_type: Any = _UNSET
    id_value: Any = _UNSET
    for number, wire, value in _fields(raw, where):
        if number == 1 and wire == 0:
            if value >= 2**32:
                raise ApiError(40000, f"{where}: timestamp is a uint32")
        elif number == 2 and wire == 0:
            data_type = value
        elif number in (3, 4) and wire == 2:
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(40000, f"{where}: strings must be UTF-8") from None
            if number == 3:
                id_value = text
        else:
            raise ApiError(40000, f"{where}: IdItem has no field {number} of wire type {wire}")
    if data_type is _UNSET or id_value is _UNSET:
        raise ApiError(40000, f"{where}: IdItem needs dataType and id")
    name = DATA_TYPES.get(data_type)
    if name is None:
        raise ApiError(40000, f"{where}: unknown dataType {data_type}")
    if id_value != id_value.lower():
        raise ApiError(40000, f"{where}: {name} id must be lower-case")
    if not _FORMS[name].fullmatch(id_value):
        raise ApiError(40000, f"{where}: {id_value!r} is not a valid {name}")
    return (name, id_value)


def _fields(raw: bytes, where: str) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of a protobuf message; varints and bytes only."""
    position = 0
    while position < len(raw):
        key, position = _varint(raw, position, where)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ApiError(40000, f"{where}: field number 0")
        if wire == 0:
            value, position = _varint(raw, position, where)
            yield number, wire, value
        elif wire == 2:
            length, position = _varint(raw, position, where)
            if position + length > len(raw):
                raise ApiError(40000, f"{where}: truncated protobuf")
            yield number, wire, raw[position : position + length]
            position += length
        else:
            raise ApiError(40000, f"{where}: unexpected wire type {wire}")


def _varint(raw: bytes, position: int, where: str) -> tuple[int, int]:
    value = shift = 0
    while True:
        if position >= len(raw) or shift > 63:
            raise ApiError(40000, f"{where}: truncated protobuf varint")
        byte = raw[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position
