"""A fake of the Hello audience API that enforces its contract, for tests.

The contract (Hello is a fictional platform; this is its whole API):

- Every request carries ``Authorization: Bearer <token>``; otherwise 401
  ``{"error": "invalid_token"}``.
- ``GET /v1/me`` answers ``{"account": "<name>"}``.
- ``POST /v1/audiences`` with ``{"name": str, "description": str}`` answers
  ``{"id", "name", "size"}``; an audience of that name is found, not created twice.
- ``GET /v1/audiences/<id>`` answers the same, or 404 ``{"error": "not_found"}``.
- ``POST /v1/audiences/<id>/members`` with ``{"action": "add" | "remove", "members":
  [{"key": str, "identifiers": {"email_sha256" | "phone_sha256": str}}]}`` answers
  ``{"results": [{"key", "status": "accepted" | "rejected", "reason"}]}``, one per member.
  A member is rejected when it has no identifiers, an unknown one, or a value that is
  not a 64-character lowercase hex SHA-256 digest. A body of another shape, a repeated
  key or more than 100 members is refused whole: 400 ``{"error": "..."}``.
- When throttling it answers 429 with ``Retry-After`` (seconds); it may answer 5xx.

Usage::

    fake = FakeHello(token="hello-token-123")
    ctx = ConnectorContext(connection="t", config=config, transport=fake.transport())
    fake.fail_next(429, retry_after=7)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx

MAX_BATCH_RECORDS = 100
IDENTIFIERS = frozenset({"email_sha256", "phone_sha256"})
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MEMBERS_PATH = re.compile(r"^/v1/audiences/(?P<id>[^/]+)/members$")
_AUDIENCE_PATH = re.compile(r"^/v1/audiences/(?P<id>[^/]+)$")


@dataclass
class FakeAudience:
    id: str
    name: str
    description: str
    #: Hashed identifier values of the members, as the platform matches them.
    members: set[str] = field(default_factory=set)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "size": len(self.members)}


@dataclass
class _Failure:
    status: int | None
    retry_after: int | None
    timeout: bool


class FakeHello:
    """The Hello API in memory; ``transport()`` plugs it into an HTTP client."""

    def __init__(self, *, token: str, host: str = "hello.example", account: str = "acme") -> None:
        self.token = token
        self.host = host
        self.account = account
        self.audiences: dict[str, FakeAudience] = {}
        #: Every request received, in order, for assertions on what was sent.
        self.requests: list[httpx.Request] = []
        self._failures: list[_Failure] = []

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fail_next(
        self,
        status: int | None = None,
        *,
        retry_after: int | None = None,
        timeout: bool = False,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (or time out) instead."""
        self._failures.extend(_Failure(status, retry_after, timeout) for _ in range(times))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host != self.host:
            raise httpx.ConnectError(f"no such host: {request.url.host}", request=request)
        if self._failures:
            return self._fail(self._failures.pop(0), request)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "invalid_token")
        path, method = request.url.path, request.method
        if (method, path) == ("GET", "/v1/me"):
            return httpx.Response(200, json={"account": self.account})
        if (method, path) == ("POST", "/v1/audiences"):
            return self._create(request)
        if method == "GET" and (match := _AUDIENCE_PATH.match(path)):
            audience = self.audiences.get(match["id"])
            return httpx.Response(200, json=audience.as_json()) if audience else _not_found()
        if method == "POST" and (match := _MEMBERS_PATH.match(path)):
            return self._members(match["id"], request)
        return _not_found()

    def _fail(self, failure: _Failure, request: httpx.Request) -> httpx.Response:
        if failure.timeout:
            raise httpx.ReadTimeout("timed out", request=request)
        assert failure.status is not None, "fail_next needs a status or timeout=True"
        headers = {}
        if failure.retry_after is not None:
            headers["Retry-After"] = str(failure.retry_after)
        return httpx.Response(failure.status, headers=headers, json={"error": "told to fail"})

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = _json(request)
        if not (isinstance(body, dict) and isinstance(body.get("name"), str) and body["name"]):
            return _error(400, "name must be a non-empty string")
        for audience in self.audiences.values():
            if audience.name == body["name"]:
                return httpx.Response(200, json=audience.as_json())
        audience = FakeAudience(
            id=f"aud_{len(self.audiences) + 1}",
            name=body["name"],
            description=str(body.get("description", "")),
        )
        self.audiences[audience.id] = audience
        return httpx.Response(200, json=audience.as_json())

    def _members(self, audience_id: str, request: httpx.Request) -> httpx.Response:
        audience = self.audiences.get(audience_id)
        if audience is None:
            return _not_found()
        body = _json(request)
        problem = _shape_problem(body)
        if problem:
            return _error(400, problem)
        results = []
        for member in body["members"]:
            reason = _member_problem(member["identifiers"])
            if reason:
                results.append({"key": member["key"], "status": "rejected", "reason": reason})
                continue
            values = set(member["identifiers"].values())
            if body["action"] == "add":
                audience.members |= values
            else:
                audience.members -= values
            results.append({"key": member["key"], "status": "accepted", "reason": None})
        return httpx.Response(200, json={"results": results})


def _shape_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or body.get("action") not in ("add", "remove"):
        return "action must be 'add' or 'remove'"
    members = body.get("members")
    if not isinstance(members, list) or not members:
        return "members must be a non-empty list"
    if len(members) > MAX_BATCH_RECORDS:
        return f"at most {MAX_BATCH_RECORDS} members per request"
    for member in members:
        if not (
            isinstance(member, dict)
            and isinstance(member.get("key"), str)
            and isinstance(member.get("identifiers"), dict)
        ):
            return "each member needs a string key and an identifiers object"
    keys = [member["key"] for member in members]
    if len(set(keys)) != len(keys):
        return "member keys repeat"
    return None


def _member_problem(identifiers: dict[str, Any]) -> str | None:
    if not identifiers:
        return "no identifiers"
    for name, value in identifiers.items():
        if name not in IDENTIFIERS:
            return f"unknown identifier {name!r}"
        if not (isinstance(value, str) and _SHA256.match(value)):
            return f"{name} is not a 64-character lowercase hex SHA-256 digest"
    return None


def _json(request: httpx.Request) -> Any:
    try:
        return json.loads(request.content)
    except ValueError:
        return None


def _error(status: int, error: str) -> httpx.Response:
    return httpx.Response(status, json={"error": error})


def _not_found() -> httpx.Response:
    return _error(404, "not_found")
