"""A strict fake of Meta's Marketing API for customer-file Custom Audiences.

It enforces the contract of shared/platforms/meta.md:

- the configured host and Graph API version (``/vNN.0/``);
- ``access_token`` as a parameter (104 when missing, 190 when wrong or expired) and,
  when the app requires it, ``appsecret_proof`` = HMAC-SHA256(token, app secret);
- form-encoded POST bodies, query strings for GET and DELETE (DELETE may also carry a
  form body), ``payload`` and ``session`` as JSON strings of the documented shape;
- creating audiences (``subtype=CUSTOM``, a valid ``customer_file_source``), finding
  them by id and by paging the ad account's list;
- ``/users`` (POST adds, DELETE removes) and ``/usersreplace`` with sessions:
  ``session_id`` int64, ``batch_seq`` from 1 and growing, ``last_batch_flag``; a
  replace takes effect when its last batch arrives;
- at most 10,000 rows per request (error 100), rows as long as the schema;
- cell formats: hashed keys must be lowercase 64-hex SHA-256 digests (an unhashed
  e-mail, an MD5, an upper-case digest are invalid entries); MADID lower-case, not
  hashed; digests of wrongly normalized values of people the fake knows (a phone
  hashed with its "+", an e-mail not lower-cased) are invalid entries too.
  Invalid entries are counted in ``num_invalid_entries`` and sampled in
  ``invalid_entry_samples`` (value → reason), never failing the request.

Membership is tracked per audience as (key, value) pairs, so tests assert exact
members after adds, removes and replacements. Faults are scripted with :meth:`fail`:
rate limits (17, 80003, HTTP 429) with usage headers, 5xx, timeouts (before or after
applying), an expired token, an audience flagged by integrity checks.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx

HOST = "graph.facebook.com"
MAX_ROWS = 10_000
#: Multi-key columns Meta wants as SHA-256 digests (meta.md §5); MADID and EXTERN_ID raw.
HASHED_KEYS = frozenset(
    [
        "EMAIL",
        "PHONE",
        "GEN",
        "DOBY",
        "DOBM",
        "DOBD",
        "LN",
        "FN",
        "FI",
        "CT",
        "ST",
        "ZIP",
        "COUNTRY",
    ]
)
RAW_KEYS = frozenset({"MADID", "EXTERN_ID"})
LDU_KEY = "DATA_PROCESSING_OPTIONS"
FILE_SOURCES = frozenset(
    {"USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED"}
)
SESSION_FIELDS = frozenset({"session_id", "batch_seq", "last_batch_flag", "estimated_num_total"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MADID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_VERSION = re.compile(r"v[0-9]{1,3}\.0")

Pair = tuple[str, str]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class GraphFailure(Exception):
    """Answer with a Graph API error body."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        status: int = 400,
        transient: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.subcode, self.status = code, subcode, status
        self.transient, self.headers = transient, headers or {}

    def response(self) -> httpx.Response:
        error: dict[str, Any] = {
            "message": f"(#{self.code}) {self}",
            "type": "OAuthException",
            "code": self.code,
            "is_transient": self.transient,
            "fbtrace_id": "AbCdEf123",
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        return httpx.Response(self.status, json={"error": error}, headers=self.headers)


@dataclass
class Fault:
    kind: str
    edge: str
    times: int
    skip: int


@dataclass
class FakeAudience:
    id: str
    name: str
    account: str
    description: str
    source: str
    members: set[Pair] = field(default_factory=set)
    flagged: bool = False


@dataclass
class Session:
    edge: str
    seqs: set[int] = field(default_factory=set)
    last_seq: int | None = None
    staged: set[Pair] = field(default_factory=set)
    received: int = 0
    invalid: int = 0
    matched: int = 0
    polls: int = 0


class FakeMeta:
    """Meta's state and rules for one ad account; serve it with :meth:`transport`."""

    def __init__(
        self,
        *,
        token: str,
        account_id: str = "1234567890",
        account_name: str = "Junction Test Ads",
        app_secret: str = "",
        version: str = "v25.0",
        host: str = HOST,
        sample_limit: int = 100,
        retry_minutes: int = 2,
        processing_polls: int = 1,
    ) -> None:
        self.tokens = {token}
        self.expired: set[str] = set()
        self.account = f"act_{account_id}"
        self.account_name = account_name
        self.app_secret = app_secret
        self.version = version
        self.host = host
        self.sample_limit = sample_limit
        self.retry_minutes = retry_minutes
        #: Reads of a finished session that still show it processing (async jobs).
        self.processing_polls = processing_polls
        self.audiences: dict[str, FakeAudience] = {}
        self.sessions: dict[tuple[str, int], Session] = {}
        self.faults: list[Fault] = []
        self.injected: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        #: Digest of a wrongly normalized value of a known person → why it is wrong.
        self.misnormalized: dict[str, str] = {}
        #: Digests of correctly normalized values of known people (Meta's users).
        self.users: set[str] = set()
        self._next_id = 23850000000000000
        self._reject_every: int | None = None

    # --- test controls -------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fail(self, kind: str, *, edge: str = "users", times: int = 1, skip: int = 0) -> None:
        """Fail the next ``times`` calls of ``edge`` (after ``skip`` good ones) with ``kind``.

        Kinds: ``rate_limit`` (17 + X-Business-Use-Case-Usage), ``audience_quota`` (80003),
        ``http_429``, ``unavailable`` (500, code 2, transient), ``bad_gateway`` (502,
        HTML), ``timeout`` (no answer), ``timeout_after_apply`` (applied, no answer),
        ``token_expired`` (190/463; the token stays expired), ``flagged`` (100/1713230),
        ``partial`` (the upload succeeds, but every tenth row is counted invalid).
        Edges: ``users``, ``usersreplace``, ``audience``, ``customaudiences``,
        ``account``, or ``any``.
        """
        self.faults.append(Fault(kind, edge, times, skip))

    def issue_token(self, token: str) -> None:
        """A new valid token (the operator generated one)."""
        self.tokens.add(token)

    def know(self, *, emails: Iterable[str] = (), phones: Iterable[str] = ()) -> None:
        """Register Meta users by raw e-mail and E.164 phone ("+8613800000001").

        Their correct digests count as matches; digests of the usual wrong
        normalizations become invalid entries.
        """
        for raw in emails:
            good = raw.strip().lower()
            self.users.add(sha256(good))
            for wrong in {raw, raw.strip(), raw.upper()} - {good}:
                self.misnormalized.setdefault(sha256(wrong), "EMAIL not trimmed and lower-cased")
        for raw in phones:
            digits = re.sub(r"\D", "", raw).lstrip("0")
            self.users.add(sha256(digits))
            # Enough country codes for tests: +86 and one-digit ones (+1, +7).
            national = digits[2:] if digits.startswith("86") else digits[1:]
            for wrong, why in (
                (f"+{digits}", "PHONE hashed with its '+'"),
                (raw, "PHONE hashed as typed"),
                (national, "PHONE without its country code"),
            ):
                if wrong != digits:
                    self.misnormalized.setdefault(sha256(wrong), why)

    def audience_named(self, name: str) -> FakeAudience:
        matches = [a for a in self.audiences.values() if a.name == name]
        assert len(matches) == 1, f"{len(matches)} audiences named {name!r}"
        return matches[0]

    def members(self, name: str) -> set[Pair]:
        return set(self.audience_named(name).members)

    # --- the contract ----------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        try:
            return self._handle(request)
        except GraphFailure as failure:
            return failure.response()

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != self.host or request.url.scheme != "https":
            raise GraphFailure(1, f"no such host {request.url.host}", status=404)
        parts = request.url.path.strip("/").split("/")
        if not parts or not _VERSION.fullmatch(parts[0]):
            raise GraphFailure(100, "Unknown path components: the version is missing")
        if parts[0] != self.version:
            raise GraphFailure(2635, f"You are calling a deprecated version {parts[0]}")
        params = self._params(request)
        self.requests.append((request.method, "/".join(parts[1:]), params))
        self._authenticate(params)
        edge = self._edge(request.method, parts[1:])
        self.calls[edge] += 1
        fault = self._fault(edge)
        if fault in ("timeout", "timeout_after_apply"):
            if fault == "timeout_after_apply":
                self._route(request.method, parts[1:], params)
            raise httpx.ReadTimeout("injected timeout", request=request)
        if fault == "partial":
            self._reject_every = 10
            try:
                return httpx.Response(200, json=self._route(request.method, parts[1:], params))
            finally:
                self._reject_every = None
        if fault is not None:
            self._raise_fault(fault, params)
        return httpx.Response(200, json=self._route(request.method, parts[1:], params))

    def _params(self, request: httpx.Request) -> dict[str, str]:
        params = dict(request.url.params)
        if request.method in ("POST", "DELETE") and request.content:
            kind = request.headers.get("content-type", "").split(";")[0]
            if kind != "application/x-www-form-urlencoded":
                raise GraphFailure(100, f"unsupported content type {kind!r}")
            body = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
            overlap = set(body) & set(params)
            if overlap:
                raise GraphFailure(100, f"parameters given twice: {sorted(overlap)}")
            params.update(body)
        return params

    def _authenticate(self, params: dict[str, str]) -> None:
        token = params.get("access_token")
        if not token:
            raise GraphFailure(104, "An access token is required to request this resource.")
        if token in self.expired:
            raise GraphFailure(
                190, "Error validating access token: Session has expired", subcode=463
            )
        if token not in self.tokens:
            raise GraphFailure(190, "Invalid OAuth access token - Cannot parse access token")
        if self.app_secret:
            proof = params.get("appsecret_proof")
            if not proof:
                raise GraphFailure(100, "API calls from the server require an appsecret_proof")
            expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256)
            if not hmac.compare_digest(proof, expected.hexdigest()):
                raise GraphFailure(100, "Invalid appsecret_proof provided in the API argument")

    def _edge(self, method: str, path: list[str]) -> str:
        if len(path) == 1:
            return "account" if path[0].startswith("act_") else "audience"
        return path[1]

    def _fault(self, edge: str) -> str | None:
        for fault in self.faults:
            if fault.times <= 0 or fault.edge not in (edge, "any"):
                continue
            if fault.skip > 0:
                fault.skip -= 1
                return None
            fault.times -= 1
            self.injected[fault.kind] += 1
            return fault.kind
        return None

    def _raise_fault(self, kind: str, params: dict[str, str]) -> None:
        usage = {
            "X-Business-Use-Case-Usage": json.dumps(
                {
                    "1234": [
                        {
                            "type": "custom_audience",
                            "call_count": 100,
                            "total_cputime": 20,
                            "total_time": 30,
                            "estimated_time_to_regain_access": self.retry_minutes,
                        }
                    ]
                }
            )
        }
        if kind == "rate_limit":
            raise GraphFailure(
                17, "User request limit reached", subcode=2446079, transient=True, headers=usage
            )
        if kind == "audience_quota":
            raise GraphFailure(80003, "There have been too many calls", headers=usage)
        if kind == "http_429":
            raise GraphFailure(4, "Application request limit reached", status=429)
        if kind == "unavailable":
            raise GraphFailure(2, "Service temporarily unavailable", status=500, transient=True)
        if kind == "bad_gateway":
            raise _Html(502)
        if kind == "token_expired":
            self.expired.add(params["access_token"])
            self.tokens.discard(params["access_token"])
            raise GraphFailure(
                190, "Error validating access token: Session has expired", subcode=463
            )
        if kind == "flagged":
            raise GraphFailure(100, "The audience is flagged", subcode=1713230)
        raise AssertionError(f"unknown fault {kind!r}")

    def _route(self, method: str, path: list[str], params: dict[str, str]) -> dict[str, Any]:
        head, rest = path[0], path[1:]
        if head.startswith("act_"):
            if head != self.account:
                raise _unknown_object(head)
            if not rest and method == "GET":
                return {"id": self.account, "name": self.account_name}
            if rest == ["customaudiences"] and method == "GET":
                return self._list(params)
            if rest == ["customaudiences"] and method == "POST":
                return self._create(params)
        else:
            audience = self.audiences.get(head)
            if audience is None:
                raise _unknown_object(head)
            if not rest and method == "GET":
                return self._describe(audience)
            if rest == ["users"] and method in ("POST", "DELETE"):
                return self._upload(audience, "add" if method == "POST" else "remove", params)
            if rest == ["usersreplace"] and method == "POST":
                return self._upload(audience, "replace", params)
            if rest == ["sessions"] and method == "GET":
                return self._sessions(audience, params)
        raise GraphFailure(100, f"Unsupported {method.lower()} request", subcode=33)

    def _describe(self, audience: FakeAudience) -> dict[str, Any]:
        size = len({value for _, value in audience.members})
        return {
            "id": audience.id,
            "name": audience.name,
            "subtype": "CUSTOM",
            "account_id": self.account.removeprefix("act_"),
            "approximate_count_lower_bound": size,
            "approximate_count_upper_bound": size,
            "operation_status": {"code": 471 if audience.flagged else 200},
        }

    def _list(self, params: dict[str, str]) -> dict[str, Any]:
        limit = int(params.get("limit", "25"))
        if not 1 <= limit <= 500:
            raise GraphFailure(100, "limit must be between 1 and 500")
        ids = sorted(a for a in self.audiences if self.audiences[a].account == self.account)
        start = ids.index(params["after"]) + 1 if params.get("after") in ids else 0
        page = ids[start : start + limit]
        body: dict[str, Any] = {"data": [self._describe(self.audiences[i]) for i in page]}
        if page:
            body["paging"] = {"cursors": {"before": page[0], "after": page[-1]}}
            if start + limit < len(ids):
                body["paging"]["next"] = f"https://{self.host}/{self.version}/next"
        return body

    def _create(self, params: dict[str, str]) -> dict[str, Any]:
        name = params.get("name", "").strip()
        if not name:
            raise GraphFailure(100, "The parameter name is required")
        if params.get("subtype") != "CUSTOM":
            raise GraphFailure(100, "This call only creates CUSTOM audiences here")
        if params.get("customer_file_source") not in FILE_SOURCES:
            raise GraphFailure(100, "customer_file_source is required for customer files")
        self._next_id += 1
        audience = FakeAudience(
            id=str(self._next_id),
            name=name,
            account=self.account,
            description=params.get("description", ""),
            source=params["customer_file_source"],
        )
        self.audiences[audience.id] = audience
        return {"id": audience.id}

    # --- uploads ---------------------------------------------------------------------

    def _upload(self, audience: FakeAudience, action: str, params: dict[str, str]) -> dict:
        if audience.flagged:
            raise GraphFailure(100, "The audience is flagged", subcode=1713230)
        schema, rows = _payload(params.get("payload"))
        session_id, seq, last = _session(params.get("session"))
        edge = "usersreplace" if action == "replace" else "users"
        session = self.sessions.setdefault((audience.id, session_id), Session(edge=edge))
        if session.edge != edge:
            raise GraphFailure(100, f"session {session_id} belongs to /{session.edge}")
        replay = seq in session.seqs
        if not replay:
            if session.last_seq is not None:
                raise GraphFailure(100, f"session {session_id} already received its last batch")
            if session.seqs and seq < max(session.seqs):
                raise GraphFailure(100, f"batch_seq {seq} after {max(session.seqs)}")
        pairs, invalid, bad_cells = self._cells(schema, rows)
        if not replay:  # a retried batch changes nothing more
            session.seqs.add(seq)
            session.received += len(rows)
            session.invalid += bad_cells
            session.matched += sum(1 for _, value in pairs if value in self.users)
            if action == "add":
                audience.members |= pairs
            elif action == "remove":
                audience.members -= pairs
            else:
                session.staged |= pairs
            if last:
                session.last_seq = seq
                if action == "replace":
                    audience.members = set(session.staged)
        samples = dict(list(invalid.items())[: self.sample_limit])
        return {
            "audience_id": audience.id,
            "session_id": str(session_id),
            "num_received": len(rows),
            "num_invalid_entries": bad_cells,
            "invalid_entry_samples": samples,
        }

    def _sessions(self, audience: FakeAudience, params: dict[str, str]) -> dict[str, Any]:
        """Upload sessions: processing for a while after their last batch, then done."""
        wanted = params.get("session_id")
        listed = []
        for (audience_id, sid), session in self.sessions.items():
            if audience_id != audience.id or (wanted and str(sid) != wanted):
                continue
            finished = session.last_seq is not None and session.polls >= self.processing_polls
            session.polls += 1
            listed.append(
                {
                    "session_id": str(sid),
                    "stage": "completed" if finished else "processing",
                    "progress": 100 if finished else 40,
                    "num_received": session.received,
                    "num_matched": session.matched,
                    "num_invalid_entries": session.invalid,
                    "start_time": 1_700_000_000,
                    "end_time": 1_700_000_600 if finished else 0,
                }
            )
        return {"data": listed}

    def _cells(
        self, schema: list[str], rows: list[list[Any]]
    ) -> tuple[set[Pair], dict[str, str], int]:
        """Valid (key, value) pairs, invalid value → reason, and the invalid cell count."""
        pairs: set[Pair] = set()
        invalid: dict[str, str] = {}
        count = 0
        for index, row in enumerate(rows):
            injected = self._reject_every is not None and index % self._reject_every == 0
            for key, value in zip(schema, row, strict=True):
                if key == LDU_KEY or value == "":
                    continue
                problem = "entry rejected (injected)" if injected else self._problem(key, value)
                if problem:
                    invalid[value] = problem
                    count += 1
                else:
                    pairs.add((key, value))
        return pairs, invalid, count

    def _problem(self, key: str, value: str) -> str | None:
        if key in HASHED_KEYS:
            if not _SHA256.fullmatch(value):
                return f"{key} is not a lowercase hex SHA-256 digest"
            return self.misnormalized.get(value)
        if key == "MADID" and not _MADID.fullmatch(value):
            return "MADID must be a lower-case, unhashed advertising id"
        if key == "EXTERN_ID" and len(value) > 100:
            return "EXTERN_ID longer than 100 characters"
        return None


def _payload(raw: str | None) -> tuple[list[str], list[list[Any]]]:
    if raw is None:
        raise GraphFailure(100, "The parameter payload is required")
    try:
        payload = json.loads(raw)
    except ValueError:
        raise GraphFailure(100, "payload is not JSON") from None
    if not isinstance(payload, dict) or set(payload) - {"schema", "data", "is_raw", "app_ids"}:
        raise GraphFailure(100, "payload must be an object of schema, data, is_raw")
    schema, data = payload.get("schema"), payload.get("data")
    if not isinstance(schema, list) or not schema or len(set(schema)) != len(schema):
        raise GraphFailure(100, "schema must be a non-empty list of distinct keys")
    unknown = set(schema) - HASHED_KEYS - RAW_KEYS - {LDU_KEY}
    if unknown:
        raise GraphFailure(100, f"unknown schema keys {sorted(unknown)}")
    if payload.get("is_raw") is not True:
        raise GraphFailure(100, "a multi-key schema needs is_raw=true")
    if not isinstance(data, list) or not data:
        raise GraphFailure(100, "data must be a non-empty list of rows")
    if len(data) > MAX_ROWS:
        raise GraphFailure(100, f"{len(data)} rows: at most {MAX_ROWS} per request")
    for index, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(schema):
            raise GraphFailure(100, f"row {index} does not have {len(schema)} entries")
        for key, cell in zip(schema, row, strict=True):
            if key == LDU_KEY:
                if not (isinstance(cell, list) and set(cell) <= {"LDU"}):
                    raise GraphFailure(100, f"row {index}: {LDU_KEY} must be [] or ['LDU']")
            elif not isinstance(cell, str):
                raise GraphFailure(100, f"row {index}: {key} must be a string")
    return schema, data


def _session(raw: str | None) -> tuple[int, int, bool]:
    if raw is None:
        raise GraphFailure(100, "The parameter session is required")
    try:
        session = json.loads(raw)
    except ValueError:
        raise GraphFailure(100, "session is not JSON") from None
    if not isinstance(session, dict) or set(session) - SESSION_FIELDS:
        raise GraphFailure(100, f"session must have only {sorted(SESSION_FIELDS)}")
    sid, seq, last = (session.get(k) for k in ("session_id", "batch_seq", "last_batch_flag"))
    if not (isinstance(sid, int) and not isinstance(sid, bool) and 0 < sid < 2**63):
        raise GraphFailure(100, "session_id must be a positive 64-bit integer")
    if not (isinstance(seq, int) and not isinstance(seq, bool) and seq >= 1):
        raise GraphFailure(100, "batch_seq must be an integer from 1")
    if not isinstance(last, bool):
        raise GraphFailure(100, "last_batch_flag must be a boolean")
    total = session.get("estimated_num_total")
    if total is not None and not (isinstance(total, int) and total >= 0):
        raise GraphFailure(100, "estimated_num_total must be a non-negative integer")
    return sid, seq, last


def _unknown_object(object_id: str) -> GraphFailure:
    return GraphFailure(
        100,
        f"Unsupported request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation",
        subcode=33,
    )


class _Html(GraphFailure):
    """A proxy error page instead of a Graph API body."""

    def __init__(self, status: int) -> None:
        super().__init__(0, "proxy error", status=status)

    def response(self) -> httpx.Response:
        return httpx.Response(self.status, text="<html><body>502 Bad Gateway</body></html>")
