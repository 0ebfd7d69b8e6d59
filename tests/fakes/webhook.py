"""A strict fake receiver of Junction's ``webhook`` destination, with fault injection.

It enforces the contract of docs/syncs.md ("Webhook destination"): POST to its path,
a fresh ``X-Junction-Timestamp``, an ``X-Junction-Signature`` that verifies with the
shared secret (401 otherwise), and a body of the documented shape (400 otherwise:
known operation, audience, 1 to 10,000 members with unique keys, known identifier
types, SHA-256 digests where hashed). It applies each operation key once, as an
idempotent receiver must, and records what would reveal a broken sender:

- ``applied``: how often each key changed the audience (never more than once here);
- ``resent_after_ack``: keys sent again after a response accepting them was
  delivered (a sender that resends acknowledged work). Over a real socket "delivered"
  means written to it: a sender killed before reading it may resend its last batch;
- ``members``: each audience's members by their identifiers.

Faults: ``fault_rate`` of the member requests fail, cycling through ``faults``:
``429`` (with Retry-After), ``500``, ``timeout`` (no answer in time; half of them after
applying the batch), ``drop`` (the connection closes without an answer; likewise).
It serves through an ``httpx.MockTransport`` (in-process) or a real HTTP server on
127.0.0.1 (:meth:`serve`), for other processes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

IDENTIFIER_TYPES = {
    "email_sha256": True,
    "phone_sha256": True,
    "user_id": False,
    "wechat_unionid": False,
    "wechat_openid": False,
}
OPERATIONS = ("ping", "audience.add", "audience.remove", "audience.replace")
MAX_MEMBERS = 10_000
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Drop(Exception):
    """The connection closes without an answer."""


class Timeout(Exception):
    """No answer within the client's timeout."""


@dataclass
class Reply:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Keys this reply accepts: acknowledged once the reply has been delivered.
    accepted: list[str] = field(default_factory=list)


class FakeWebhook:
    """The receiver's state and rules. Thread-safe: the real server runs handlers in threads."""

    def __init__(
        self,
        secret: str,
        *,
        path: str = "/hooks/junction",
        tolerance: float = 300.0,
        fault_rate: float = 0.0,
        faults: tuple[str, ...] = ("429", "500", "timeout", "drop"),
        seed: int = 7,
        delay: float = 0.0,
        reject: Callable[[dict[str, Any]], str | None] | None = None,
        retry_after: int = 1,
    ) -> None:
        self.secret = secret
        self.path = path
        self.tolerance = tolerance
        self.fault_rate = fault_rate
        self.faults = faults
        self.delay = delay
        self.reject = reject
        self.retry_after = retry_after
        self._random = random.Random(seed)
        self._fault_turn = 0
        self._lock = threading.Lock()
        self.requests = 0
        self.faults_injected: Counter[str] = Counter()
        self.received: Counter[str] = Counter()
        self.applied: Counter[str] = Counter()
        self.acknowledged: set[str] = set()
        self.resent_after_ack: Counter[str] = Counter()
        self.rejected: dict[str, str] = {}
        self.members: dict[str, set[tuple[tuple[str, str], ...]]] = {}
        self._sessions: dict[str, set[tuple[tuple[str, str], ...]]] = {}
        self.bodies: list[dict[str, Any]] = []

    # --- the contract ------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer one request (or raise Drop / Timeout after deciding its fate)."""
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.requests += 1
            problem = self._refuse(method, path, headers, body)
            if problem is not None:
                return problem
            payload = json.loads(body)
            if payload["type"] == "ping":
                return Reply(200, {"ok": True})
            fault = self._fault()
            if fault in ("429", "500"):
                self.faults_injected[fault] += 1
                status = int(fault)
                return Reply(status, {"error": "injected"}, {"Retry-After": str(self.retry_after)})
            if fault in ("timeout", "drop"):
                after = self._random.random() < 0.5
                self.faults_injected[f"{fault}_{'after' if after else 'before'}"] += 1
                if after:
                    self._apply(payload)  # applied, but the answer never arrives
                raise Timeout() if fault == "timeout" else Drop()
            results = self._apply(payload)
            self.bodies.append(payload)
            accepted = [r["key"] for r in results if r["status"] == "accepted"]
            return Reply(200, {"results": results}, accepted=accepted)

    def delivered(self, reply: Reply) -> None:
        """The reply reached the sender: its accepted keys count as acknowledged."""
        with self._lock:
            self.acknowledged.update(reply.accepted)

    def _refuse(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
        if method != "POST" or path != self.path:
            return Reply(404, {"error": "not_found"})
        if headers.get("content-type", "").split(";")[0] != "application/json":
            return Reply(415, {"error": "content type must be application/json"})
        stamp = headers.get("x-junction-timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > self.tolerance:
            return Reply(401, {"error": "missing or stale timestamp"})
        expected = (
            "v1="
            + hmac.new(
                self.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
            ).hexdigest()
        )
        if not hmac.compare_digest(expected, headers.get("x-junction-signature", "")):
            return Reply(401, {"error": "bad_signature"})
        try:
            payload = json.loads(body)
        except ValueError:
            return Reply(400, {"error": "body is not JSON"})
        shape = _shape_problem(payload)
        return Reply(400, {"error": shape}) if shape else None

    def _fault(self) -> str | None:
        if not self.fault_rate or self._random.random() >= self.fault_rate:
            return None
        self._fault_turn += 1
        return self.faults[self._fault_turn % len(self.faults)]

    def _apply(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        operation = payload["type"]
        audience = payload["audience"]["id"]
        members = self.members.setdefault(audience, set())
        results = []
        for member in payload["members"]:
            key = member["key"]
            self.received[key] += 1
            if key in self.acknowledged:
                self.resent_after_ack[key] += 1
            reason = _member_problem(member["identifiers"])
            if reason is None and self.reject:
                reason = self.reject(member)
            if reason:
                self.rejected[key] = reason
                results.append({"key": key, "status": "rejected", "reason": reason})
                continue
            identity = tuple(sorted((i["type"], i["value"]) for i in member["identifiers"]))
            if self.applied[key] == 0:  # idempotent by key: a resent key changes nothing
                self.applied[key] += 1
                if operation == "audience.add":
                    members.add(identity)
                elif operation == "audience.remove":
                    members.discard(identity)
                else:
                    session = payload["session"]
                    self._sessions.setdefault(session["id"], set()).add(identity)
            results.append({"key": key, "status": "accepted", "reason": None})
        if operation == "audience.replace" and payload["session"]["last"]:
            self.members[audience] = self._sessions.pop(payload["session"]["id"], set())
        return results

    # --- serving -------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An in-process transport answering as this receiver."""

        def handler(request: httpx.Request) -> httpx.Response:
            headers = {k.lower(): v for k, v in request.headers.items()}
            try:
                reply = self.handle(request.method, request.url.path, headers, request.content)
            except Timeout:
                raise httpx.ReadTimeout("injected timeout", request=request) from None
            except Drop:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                ) from None
            self.delivered(reply)
            return httpx.Response(reply.status, json=reply.body, headers=reply.headers)

        return httpx.MockTransport(handler)

    @contextmanager
    def serve(self, *, timeout_sleep: float = 2.0) -> Iterator[str]:
        """Serve on a free port of 127.0.0.1; yields the URL to configure."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.do_any()

            def do_GET(self) -> None:
                self.do_any()

            def do_any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    reply = fake.handle(self.command, self.path, headers, body)
                except Timeout:
                    time.sleep(timeout_sleep)
                    self.close_connection = True
                    return
                except Drop:
                    self.close_connection = True
                    return
                data = json.dumps(reply.body).encode() if reply.body is not None else b""
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                    self.wfile.flush()
                except OSError:
                    return  # the sender is gone (killed): it never got the answer
                fake.delivered(reply)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}{self.path}"
        finally:
            server.shutdown()
            server.server_close()


def _shape_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict) or payload.get("type") not in OPERATIONS:
        return f"type must be one of {', '.join(OPERATIONS)}"
    if payload["type"] == "ping":
        return None
    audience = payload.get("audience")
    if not (isinstance(audience, dict) and isinstance(audience.get("id"), str) and audience["id"]):
        return "audience.id must be a non-empty string"
    if payload["type"] == "audience.replace":
        session = payload.get("session")
        if not (
            isinstance(session, dict)
            and isinstance(session.get("id"), str)
            and isinstance(session.get("seq"), int)
            and isinstance(session.get("last"), bool)
        ):
            return "a replacement needs session {id, seq, last}"
    members = payload.get("members")
    if not isinstance(members, list) or not 1 <= len(members) <= MAX_MEMBERS:
        return f"members must be a list of 1 to {MAX_MEMBERS}"
    keys = set()
    for member in members:
        if not (isinstance(member, dict) and isinstance(member.get("key"), str) and member["key"]):
            return "every member needs a non-empty string key"
        if member["key"] in keys:
            return f"key {member['key']} repeats in the batch"
        keys.add(member["key"])
        identifiers = member.get("identifiers")
        if not isinstance(identifiers, list) or not all(isinstance(i, dict) for i in identifiers):
            return f"member {member['key']}: identifiers must be a list of objects"
    return None


def _member_problem(identifiers: list[dict[str, Any]]) -> str | None:
    """Why one member can't be matched (it is rejected alone), or None."""
    if not identifiers:
        return "no identifiers"
    for identifier in identifiers:
        kind, value = identifier.get("type"), identifier.get("value")
        if kind not in IDENTIFIER_TYPES or not isinstance(value, str) or not value:
            return f"unknown identifier {kind!r}"
        if IDENTIFIER_TYPES[kind] and not _SHA256.match(value):
            return f"{kind} is not a lowercase SHA-256 digest"
    return None
