"""A strict fake of Sensors' SQL query API (the export the ``sensors`` source pulls from).

It enforces the contract of shared/platforms/sensors.md §3 and what the plugin relies
on: ``POST /api/sql/query?token=<API_SECRET>&project=<project>`` with a form body
(``application/x-www-form-urlencoded``) of ``q`` and ``format=event_json``; the token
must be the current API secret (403 otherwise: a changed admin password changes it,
:meth:`rotate_secret`); the project must exist (400); ``q`` must be a time-window query
over ``events`` whose ``date`` bounds cover its ``time`` bounds (partition pruning), in
the project's time zone, with ``ORDER BY time`` and ``LIMIT`` 1..10,000 (400 otherwise).
It answers one import-format JSON record per line, oldest first, at most LIMIT.

Faults, queued with :meth:`fail_next`: ``"429"`` (with Retry-After), ``"500"``,
``"503"``, ``"timeout"`` (httpx.ReadTimeout) and ``"auth"`` (403, as an expired
secret). Every accepted query is kept in ``queries`` for assertions.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx

MAX_LIMIT = 10_000
_TICK = timedelta(microseconds=1)
FORMATS = ("csv", "json", "event_json")

_QUERY = re.compile(
    r"^SELECT \* FROM events"
    r" WHERE date >= '(?P<d0>\d{4}-\d{2}-\d{2})' AND date <= '(?P<d1>\d{4}-\d{2}-\d{2})'"
    r" AND time >= '(?P<t0>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})'"
    r" AND time < '(?P<t1>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})'"
    r" ORDER BY time LIMIT (?P<limit>\d+)$"
)


@dataclass(frozen=True)
class Query:
    """One accepted export query: its window (aware, UTC) and LIMIT."""

    start: datetime
    end: datetime
    limit: int


class FakeSensors:
    """Sensors' web service, as far as the SQL query API goes."""

    def __init__(
        self,
        api_secret: str,
        *,
        projects: tuple[str, ...] = ("default",),
        timezone: str = "Asia/Shanghai",
        events: list[dict[str, Any]] | None = None,
    ) -> None:
        self.api_secret = api_secret
        self.projects = projects
        self.zone = ZoneInfo(timezone)
        self.events: list[dict[str, Any]] = list(events or [])
        self.queries: list[Query] = []
        self.requests = 0
        self._faults: deque[tuple[str, float | None]] = deque()

    # --- test controls ----------------------------------------------------------------

    def fail_next(self, fault: str, *, times: int = 1, retry_after: float | None = None) -> None:
        """Make the next ``times`` requests fail with ``fault`` (see the module docstring)."""
        assert fault in ("429", "500", "503", "timeout", "auth"), fault
        self._faults.extend([(fault, retry_after)] * times)

    def rotate_secret(self, new_secret: str) -> None:
        """The admin changed the password: the old API secret stops working."""
        self.api_secret = new_secret

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # --- the API ----------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if request.url.path != "/api/sql/query":
            return _error(404, f"no such API: {request.url.path}")
        if request.method != "POST":
            return _error(405, "the SQL query API takes POST")
        if self._faults:
            fault, retry_after = self._faults.popleft()
            if fault == "timeout":
                raise httpx.ReadTimeout("the fake timed out", request=request)
            if fault == "auth":
                return _error(403, "token expired or invalid")
            headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
            message = "too many requests" if fault == "429" else "internal error"
            return _error(int(fault), message, headers)
        params = dict(request.url.params)
        if params.get("token") != self.api_secret:
            return _error(403, "token is invalid")
        if params.get("project") not in self.projects:
            return _error(400, f"project {params.get('project')!r} does not exist")
        content_type = request.headers.get("content-type", "").split(";")[0]
        if content_type != "application/x-www-form-urlencoded":
            return _error(400, f"expected a form body, got {content_type or 'none'}")
        form = dict(parse_qsl(request.content.decode("ascii"), keep_blank_values=True))
        if set(form) - {"q", "format"}:
            return _error(400, f"unknown form fields {sorted(set(form) - {'q', 'format'})}")
        if form.get("format") not in FORMATS:
            return _error(400, f"format must be one of {FORMATS}")
        if form["format"] != "event_json":
            return _error(400, "this fake answers format=event_json only")
        query = self._parse(form.get("q", ""))
        if isinstance(query, httpx.Response):
            return query
        self.queries.append(query)
        return httpx.Response(
            200,
            text="".join(json.dumps(e, ensure_ascii=False) + "\n" for e in self._window(query)),
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )

    def _parse(self, sql: str) -> Query | httpx.Response:
        match = _QUERY.match(sql)
        if match is None:
            return _error(400, f"unsupported query: {sql[:200]!r}")
        limit = int(match["limit"])
        if not 1 <= limit <= MAX_LIMIT:
            return _error(400, f"LIMIT must be 1..{MAX_LIMIT}")
        start, end = (
            datetime.strptime(match[name], "%Y-%m-%d %H:%M:%S").replace(tzinfo=self.zone)
            for name in ("t0", "t1")
        )
        if end <= start:
            return _error(400, "the time range is empty")
        first, last = date.fromisoformat(match["d0"]), date.fromisoformat(match["d1"])
        # `time < end` is exclusive: the last instant it admits must lie within `date`.
        if not (first <= start.date() <= last and (end - _TICK).date() <= last):
            return _error(400, "the date bounds do not cover the time bounds")
        return Query(start.astimezone(UTC), end.astimezone(UTC), limit)

    def _window(self, query: Query) -> list[dict[str, Any]]:
        low, high = query.start.timestamp() * 1000, query.end.timestamp() * 1000
        inside = [e for e in self.events if low <= e["time"] < high]
        return sorted(inside, key=lambda e: e["time"])[: query.limit]


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": message}, headers=headers or {})
