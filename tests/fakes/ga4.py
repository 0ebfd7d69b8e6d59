"""A strict fake of Google's OAuth token endpoint, GA4 Data API and BigQuery REST API.

It enforces the contract of shared/platforms/ga4.md and Google's documented behaviour:

- **Token endpoint** (``POST https://oauth2.googleapis.com/token``): a form with
  ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` and an ``assertion`` JWT
  whose header is ``{"alg": "RS256", "typ": "JWT", "kid": <key id>}``, whose RS256
  signature verifies with the service account's public key, and whose claims carry
  ``iss`` = the account's e-mail, a known ``scope``, ``aud`` = the token URI, and
  ``iat``/``exp`` at most an hour apart around now. Anything else: 400 ``invalid_grant``.
- **Every API call** needs ``Authorization: Bearer <token>`` of a live token with the
  right scope (401 UNAUTHENTICATED / 403 insufficient scopes otherwise), and a principal
  granted access (403 PERMISSION_DENIED).
- **runReport** (``POST /v1beta/properties/{id}:runReport``): only known body fields;
  ``dateRanges`` of ``YYYY-MM-DD`` days; at most 9 known ``dimensions`` and 10 known
  ``metrics``; ``limit`` (≤ 250,000) and ``offset`` as int64 *strings*; ``orderBys``
  naming requested columns. Rows are aggregated by the requested dimensions, ordered,
  paged by offset/limit, with ``rowCount`` the full size; ``rows`` is omitted when empty.
- **metadata** (``GET /v1beta/properties/{id}/metadata``).
- **BigQuery** ``jobs.query`` (``POST /bigquery/v2/projects/{p}/queries``): standard SQL
  (``useLegacySql: false``) selecting known export columns from one
  ``project.dataset.events_YYYYMMDD`` table (404 notFound for a missing dataset or
  table); answers ``jobComplete: false`` for ``pending_polls`` calls, then rows in the
  f/v format by ``maxResults``, linked by ``pageToken``; ``jobs.getQueryResults``
  (``GET .../queries/{jobId}``) takes only tokens it issued for that job; datasets.get.

Faults, queued with :meth:`fail_next` and applied to API calls (not token requests):
``429`` (RESOURCE_EXHAUSTED), ``403_quota`` (BigQuery quotaExceeded), ``500``, ``503``,
``401`` (the presented token stops being valid), ``timeout``. :meth:`expire_tokens`
ages every token; :meth:`drop_jobs` forgets query results, as BigQuery does after a day.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

TOKEN_URI = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ANALYTICS_SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/analytics.readonly",
        "https://www.googleapis.com/auth/analytics",
    }
)
BIGQUERY_SCOPES = frozenset(
    {"https://www.googleapis.com/auth/bigquery", "https://www.googleapis.com/auth/cloud-platform"}
)
MAX_DIMENSIONS = 9
MAX_METRICS = 10
MAX_LIMIT = 250_000
REPORT_FIELDS = frozenset(
    {
        "dimensions", "metrics", "dateRanges", "dimensionFilter", "metricFilter", "offset",
        "limit", "metricAggregations", "orderBys", "currencyCode", "cohortSpec",
        "keepEmptyRows", "returnPropertyQuota", "comparisons",
    }
)  # fmt: skip
QUERY_FIELDS = frozenset(
    {
        "query", "useLegacySql", "maxResults", "timeoutMs", "location", "dryRun",
        "useQueryCache", "defaultDataset", "parameterMode", "queryParameters", "labels",
        "kind", "requestId",
    }
)  # fmt: skip
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT64 = re.compile(r"^\d+$")
_SQL = re.compile(r"^SELECT (?P<columns>[a-z_, ]+) FROM `(?P<table>[^`]+)`$")

_VALUE = {
    "name": "value",
    "type": "RECORD",
    "mode": "NULLABLE",
    "fields": [
        {"name": "string_value", "type": "STRING", "mode": "NULLABLE"},
        {"name": "int_value", "type": "INTEGER", "mode": "NULLABLE"},
        {"name": "float_value", "type": "FLOAT", "mode": "NULLABLE"},
        {"name": "double_value", "type": "FLOAT", "mode": "NULLABLE"},
    ],
}
_USER_VALUE = {
    **_VALUE,
    "fields": [*_VALUE["fields"], {"name": "set_timestamp_micros", "type": "INTEGER"}],
}
#: The GA4 export's columns (those the fake knows), as BigQuery describes them.
EXPORT_SCHEMA: list[dict[str, Any]] = [
    {"name": "event_date", "type": "STRING", "mode": "NULLABLE"},
    {"name": "event_timestamp", "type": "INTEGER", "mode": "NULLABLE"},
    {"name": "event_name", "type": "STRING", "mode": "NULLABLE"},
    {
        "name": "event_params",
        "type": "RECORD",
        "mode": "REPEATED",
        "fields": [{"name": "key", "type": "STRING", "mode": "NULLABLE"}, _VALUE],
    },
    {"name": "event_previous_timestamp", "type": "INTEGER", "mode": "NULLABLE"},
    {"name": "event_value_in_usd", "type": "FLOAT", "mode": "NULLABLE"},
    {"name": "event_bundle_sequence_id", "type": "INTEGER", "mode": "NULLABLE"},
    {"name": "user_id", "type": "STRING", "mode": "NULLABLE"},
    {"name": "user_pseudo_id", "type": "STRING", "mode": "NULLABLE"},
    {
        "name": "user_properties",
        "type": "RECORD",
        "mode": "REPEATED",
        "fields": [{"name": "key", "type": "STRING", "mode": "NULLABLE"}, _USER_VALUE],
    },
    {"name": "platform", "type": "STRING", "mode": "NULLABLE"},
    {"name": "stream_id", "type": "STRING", "mode": "NULLABLE"},
]
_COLUMNS = {column["name"]: column for column in EXPORT_SCHEMA}

#: Standard dimensions and metrics (with their types) every property has.
STANDARD_DIMENSIONS = ("date", "country", "city", "deviceCategory", "platform", "eventName")
STANDARD_METRICS = {
    "activeUsers": "TYPE_INTEGER",
    "sessions": "TYPE_INTEGER",
    "eventCount": "TYPE_INTEGER",
    "screenPageViews": "TYPE_INTEGER",
    "purchaseRevenue": "TYPE_CURRENCY",
    "userEngagementDuration": "TYPE_SECONDS",
}


class Timeout(Exception):
    """No answer within the client's timeout."""


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def google_error(status: int, canonical: str, message: str, reason: str | None = None) -> Reply:
    error: dict[str, Any] = {"code": status, "message": message, "status": canonical}
    if reason:
        error["errors"] = [{"reason": reason, "message": message, "domain": "global"}]
    return Reply(status, {"error": error})


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ReportRow:
    """One person's values on one day, before the fake aggregates what a report asks."""

    dimensions: dict[str, str]
    metrics: dict[str, int | float]


@dataclass
class Job:
    rows: list[dict[str, Any]]
    schema: list[dict[str, Any]]
    pending: int
    location: str


@dataclass
class FakeGA4:
    """The platform's state and rules; ``transport()`` serves it to httpx clients."""

    client_email: str
    key_id: str
    public_key: RSAPublicKey
    property_id: str = "123456789"
    project: str = "acme-analytics"
    dataset: str = "analytics_123456789"
    location: str = "US"
    custom_dimensions: tuple[str, ...] = ("customUser:user_id", "customUser:tier")
    clock: Callable[[], float] = time.time
    token_lifetime: int = 3599
    #: Whether the service account was granted access (else 403 PERMISSION_DENIED).
    analytics_access: bool = True
    bigquery_access: bool = True
    #: jobComplete stays false for this many calls on each new query job.
    pending_polls: int = 0
    #: Data API rows by day.
    report_rows: dict[date, list[ReportRow]] = field(default_factory=dict)
    #: BigQuery export rows (plain dicts shaped like EXPORT_SCHEMA) by day.
    export_tables: dict[date, list[dict[str, Any]]] = field(default_factory=dict)

    # What happened, for assertions.
    token_requests: int = 0
    report_bodies: list[dict[str, Any]] = field(default_factory=list)
    queries: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)

    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    _faults: list[str] = field(default_factory=list)
    _jobs: dict[str, Job] = field(default_factory=dict)
    _page_tokens: dict[str, tuple[str, int]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    # --- test controls ---------------------------------------------------------------

    def fail_next(self, fault: str, times: int = 1) -> None:
        """Make the next ``times`` API calls fail with ``fault`` (see the module doc)."""
        self._faults.extend([fault] * times)

    def expire_tokens(self) -> None:
        """Every token issued so far is now expired (the platform says 401)."""
        self._tokens = {token: (scope, 0.0) for token, (scope, _) in self._tokens.items()}

    def drop_jobs(self) -> None:
        """Forget every query job and its results, as BigQuery does after about a day."""
        self._jobs.clear()
        self._page_tokens.clear()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # --- dispatch --------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        self.calls.append((request.method, url.path))
        if f"{url.scheme}://{url.host}{url.path}" == TOKEN_URI:
            reply = self._token(request)
        else:
            try:
                reply = self._api(request)
            except Timeout:
                raise httpx.ReadTimeout("the fake did not answer", request=request) from None
        return httpx.Response(reply.status, json=reply.body, headers=reply.headers)

    def _api(self, request: httpx.Request) -> Reply:
        url = request.url
        if url.host == "analyticsdata.googleapis.com":
            scopes, granted = ANALYTICS_SCOPES, self.analytics_access
        elif url.host == "bigquery.googleapis.com":
            scopes, granted = BIGQUERY_SCOPES, self.bigquery_access
        else:
            return google_error(404, "NOT_FOUND", f"unknown host {url.host}")
        refused = self._authorize(request, scopes)
        if refused is not None:
            return refused
        if self._faults:
            fault = self._faults.pop(0)
            if fault == "401":
                token = request.headers["Authorization"].removeprefix("Bearer ")
                self._tokens.pop(token, None)
            return self._fault(fault)
        if not granted:
            return google_error(
                403,
                "PERMISSION_DENIED",
                "User does not have sufficient permissions for this property. To learn "
                "more about Property ID, see https://developers.google.com/analytics/...",
                "accessDenied",
            )
        return self._route(request)

    def _route(self, request: httpx.Request) -> Reply:
        path, method = request.url.path, request.method
        prop = f"/v1beta/properties/{self.property_id}"
        bq = f"/bigquery/v2/projects/{self.project}"
        if (
            path.startswith("/v1beta/properties/")
            and not path.startswith(prop + ":")
            and not (path.startswith(prop + "/"))
        ):
            return google_error(
                403,
                "PERMISSION_DENIED",
                "User does not have sufficient permissions for this property.",
            )
        if method == "POST" and path == f"{prop}:runReport":
            return self._run_report(request)
        if method == "GET" and path == f"{prop}/metadata":
            return Reply(200, self._metadata())
        if path.startswith("/bigquery/v2/projects/") and not path.startswith(bq + "/"):
            return google_error(
                403,
                "PERMISSION_DENIED",
                "Access Denied: Project: User does not have bigquery.jobs.create permission.",
                "accessDenied",
            )
        if method == "POST" and path == f"{bq}/queries":
            return self._query(request)
        if method == "GET" and path.startswith(f"{bq}/queries/"):
            return self._query_results(request, path.removeprefix(f"{bq}/queries/"))
        if method == "GET" and path.startswith(f"{bq}/datasets/"):
            return self._dataset(path.removeprefix(f"{bq}/datasets/"))
        return google_error(404, "NOT_FOUND", f"no such method {method} {path}")

    def _fault(self, fault: str) -> Reply:
        if fault == "timeout":
            raise Timeout
        if fault == "429":
            return google_error(
                429, "RESOURCE_EXHAUSTED", "Exhausted property tokens per hour for this property."
            )
        if fault == "403_quota":
            return google_error(
                403,
                "PERMISSION_DENIED",
                "Quota exceeded: Your project exceeded quota for concurrent queries.",
                "quotaExceeded",
            )
        if fault == "500":
            return google_error(500, "INTERNAL", "Internal error encountered.", "backendError")
        if fault == "503":
            return Reply(
                503,
                google_error(503, "UNAVAILABLE", "The service is currently unavailable.").body,
                {"Retry-After": "7"},
            )
        if fault == "401":
            return self._unauthenticated()
        raise ValueError(f"unknown fault {fault!r}")

    # --- OAuth -----------------------------------------------------------------------

    def _token(self, request: httpx.Request) -> Reply:
        self.token_requests += 1
        if request.method != "POST" or not request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            return Reply(400, {"error": "invalid_request", "error_description": "POST a form"})
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("grant_type") != JWT_BEARER:
            return Reply(
                400,
                {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"},
            )
        problem, scope = self._verify_assertion(form.get("assertion", ""))
        if problem:
            return Reply(400, {"error": "invalid_grant", "error_description": problem})
        token = f"ya29.fake-{next(self._ids)}"
        self._tokens[token] = (scope, self.clock() + self.token_lifetime)
        return Reply(
            200, {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}
        )

    def _verify_assertion(self, assertion: str) -> tuple[str | None, str]:
        parts = assertion.split(".")
        if len(parts) != 3:
            return "Invalid JWT: not three segments.", ""
        try:
            header = json.loads(_b64decode(parts[0]))
            claims = json.loads(_b64decode(parts[1]))
            signature = _b64decode(parts[2])
        except ValueError:
            return "Invalid JWT: segments are not base64url JSON.", ""
        if header.get("alg") != "RS256" or header.get("typ") != "JWT":
            return "Invalid JWT: the header must say alg RS256, typ JWT.", ""
        if header.get("kid") != self.key_id:
            return "Invalid JWT Signature.", ""
        try:
            self.public_key.verify(
                signature,
                f"{parts[0]}.{parts[1]}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            return "Invalid JWT Signature.", ""
        if claims.get("iss") != self.client_email:
            return "Invalid JWT: the issuer is not this service account.", ""
        if claims.get("aud") != TOKEN_URI:
            return "Invalid JWT: Failed audience check.", ""
        scope = claims.get("scope")
        if scope not in ANALYTICS_SCOPES | BIGQUERY_SCOPES:
            return "Invalid OAuth scope or ID token audience provided.", ""
        iat, exp, now = claims.get("iat"), claims.get("exp"), self.clock()
        if (
            not isinstance(iat, int)
            or not isinstance(exp, int)
            or exp - iat > 3600
            or exp <= now
            or iat > now + 300
        ):
            return (
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                "reasonable timeframe. Check your iat and exp values in the JWT claim.",
                "",
            )
        return None, scope

    def _authorize(self, request: httpx.Request, scopes: frozenset[str]) -> Reply | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return self._unauthenticated()
        held = self._tokens.get(header.removeprefix("Bearer "))
        if held is None or held[1] <= self.clock():
            return self._unauthenticated()
        if held[0] not in scopes:
            return google_error(
                403,
                "PERMISSION_DENIED",
                "Request had insufficient authentication scopes.",
                "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            )
        return None

    @staticmethod
    def _unauthenticated() -> Reply:
        return google_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, "
            "login cookie or other valid authentication credential.",
        )

    # --- Data API --------------------------------------------------------------------

    def _metadata(self) -> dict[str, Any]:
        return {
            "name": f"properties/{self.property_id}/metadata",
            "dimensions": [
                {"apiName": name, "uiName": name, "customDefinition": name.startswith("custom")}
                for name in (*STANDARD_DIMENSIONS, *self.custom_dimensions)
            ],
            "metrics": [
                {"apiName": name, "uiName": name, "type": kind}
                for name, kind in STANDARD_METRICS.items()
            ],
        }

    def _invalid(self, message: str) -> Reply:
        return google_error(400, "INVALID_ARGUMENT", message)

    def _run_report(self, request: httpx.Request) -> Reply:
        try:
            body = json.loads(request.content)
        except ValueError:
            return self._invalid("Invalid JSON payload received.")
        self.report_bodies.append(body)
        if not isinstance(body, dict):
            return self._invalid("Invalid JSON payload received. Expected an object.")
        for name in body:
            if name not in REPORT_FIELDS:
                return self._invalid(
                    f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.'
                )
        known_dims = {*STANDARD_DIMENSIONS, *self.custom_dimensions}
        dims = [d.get("name") for d in body.get("dimensions", [])]
        metrics = [m.get("name") for m in body.get("metrics", [])]
        if len(dims) > MAX_DIMENSIONS:
            return self._invalid(f"Requests are limited to {MAX_DIMENSIONS} dimensions.")
        if len(metrics) > MAX_METRICS:
            return self._invalid(f"Requests are limited to {MAX_METRICS} metrics.")
        for name in dims:
            if name not in known_dims:
                return self._invalid(
                    f"Field {name} is not a valid dimension. For a list of valid dimensions "
                    "and metrics, see https://developers.google.com/analytics/devguides/"
                    "reporting/data/v1/api-schema"
                )
        for name in metrics:
            if name not in STANDARD_METRICS:
                return self._invalid(f"Field {name} is not a valid metric.")
        days = self._date_ranges(body.get("dateRanges"))
        if isinstance(days, Reply):
            return days
        paging = self._paging(body)
        if isinstance(paging, Reply):
            return paging
        offset, limit = paging
        for order in body.get("orderBys", []):
            named = (order.get("dimension") or {}).get("dimensionName")
            metric = (order.get("metric") or {}).get("metricName")
            if (
                (named is None) == (metric is None)
                or (named and named not in dims)
                or (metric and metric not in metrics)
            ):
                return self._invalid("orderBys must name a dimension or metric of the request.")
        rows = self._aggregate(days, dims, metrics)
        page = rows[offset : offset + limit]
        answer: dict[str, Any] = {
            "dimensionHeaders": [{"name": d} for d in dims],
            "metricHeaders": [{"name": m, "type": STANDARD_METRICS[m]} for m in metrics],
            "rowCount": len(rows),
            "metadata": {"currencyCode": "USD", "timeZone": "UTC"},
            "kind": "analyticsData#runReport",
        }
        if page:
            answer["rows"] = [
                {
                    "dimensionValues": [{"value": v} for v in key],
                    "metricValues": [{"value": _metric_text(v)} for v in values],
                }
                for key, values in page
            ]
        return Reply(200, answer)

    def _date_ranges(self, ranges: Any) -> list[date] | Reply:
        if not isinstance(ranges, list) or not 1 <= len(ranges) <= 4:
            return self._invalid("dateRanges must hold 1 to 4 date ranges.")
        days: list[date] = []
        for item in ranges:
            start, end = item.get("startDate", ""), item.get("endDate", "")
            if not (_DAY.match(start) and _DAY.match(end)):
                return self._invalid(f"Invalid date range {start!r}..{end!r}: use YYYY-MM-DD.")
            first, last = date.fromisoformat(start), date.fromisoformat(end)
            if first > last:
                return self._invalid("startDate must not be after endDate.")
            days.extend(d for d in self.report_rows if first <= d <= last)
        return sorted(set(days))

    def _paging(self, body: dict[str, Any]) -> tuple[int, int] | Reply:
        offset, limit = body.get("offset", "0"), body.get("limit", "10000")
        if not isinstance(offset, str) or not _INT64.match(offset):
            return self._invalid('offset must be an int64 in a JSON string, e.g. "0".')
        if not isinstance(limit, str) or not _INT64.match(limit):
            return self._invalid('limit must be an int64 in a JSON string, e.g. "10000".')
        if not 1 <= int(limit) <= MAX_LIMIT:
            return self._invalid(f"limit must be between 1 and {MAX_LIMIT}.")
        return int(offset), int(limit)

    def _aggregate(
        self, days: list[date], dims: list[str], metrics: list[str]
    ) -> list[tuple[tuple[str, ...], list[int | float]]]:
        groups: dict[tuple[str, ...], list[int | float]] = {}
        for day in days:
            for row in self.report_rows[day]:
                values = {**row.dimensions, "date": f"{day:%Y%m%d}"}
                key = tuple(values.get(d, "(not set)") for d in dims)
                sums = groups.setdefault(key, [0] * len(metrics))
                for i, name in enumerate(metrics):
                    sums[i] += row.metrics.get(name, 0)
        return sorted(groups.items())

    # --- BigQuery --------------------------------------------------------------------

    def _dataset(self, name: str) -> Reply:
        if name != self.dataset:
            return self._bq_not_found(f"Dataset {self.project}:{name}")
        return Reply(
            200,
            {
                "kind": "bigquery#dataset",
                "id": f"{self.project}:{name}",
                "datasetReference": {"projectId": self.project, "datasetId": name},
                "location": self.location,
            },
        )

    def _bq_not_found(self, what: str) -> Reply:
        return google_error(
            404, "NOT_FOUND", f"Not found: {what} was not found in location {self.location}",
            "notFound",
        )  # fmt: skip

    def _bq_invalid(self, message: str, reason: str = "invalid") -> Reply:
        return google_error(400, "INVALID_ARGUMENT", message, reason)

    def _query(self, request: httpx.Request) -> Reply:
        try:
            body = json.loads(request.content)
        except ValueError:
            return self._bq_invalid("Invalid JSON payload received.")
        self.queries.append(body)
        for name in body:
            if name not in QUERY_FIELDS:
                return self._bq_invalid(f'Invalid JSON payload received. Unknown name "{name}".')
        if body.get("useLegacySql") is not False:
            return self._bq_invalid(
                "Invalid table name: legacy SQL does not take `project.dataset.table`.",
                "invalidQuery",
            )
        max_results = body.get("maxResults")
        if max_results is not None and (not isinstance(max_results, int) or max_results < 1):
            return self._bq_invalid("maxResults must be a positive integer.")
        if body.get("location", self.location) != self.location:
            return self._bq_not_found(f"Dataset {self.project}:{self.dataset}")
        match = _SQL.match(str(body.get("query", "")))
        if match is None:
            return self._bq_invalid(
                "Syntax error: the fake understands one SELECT.", "invalidQuery"
            )
        columns = [c.strip() for c in match["columns"].split(",")]
        for column in columns:
            if column not in _COLUMNS:
                return self._bq_invalid(f"Unrecognized name: {column}", "invalidQuery")
        project, _, rest = match["table"].partition(".")
        dataset, _, table = rest.partition(".")
        if project != self.project or dataset != self.dataset:
            return self._bq_not_found(f"Dataset {project}:{dataset}")
        day = _table_day(table)
        if day is None or day not in self.export_tables:
            return self._bq_not_found(f"Table {project}:{dataset}.{table}")
        schema = [_COLUMNS[c] for c in columns]
        rows = [{"f": [{"v": _cell(_COLUMNS[c], row.get(c))} for c in columns]}
                for row in self.export_tables[day]]  # fmt: skip
        job_id = f"job_{next(self._ids)}"
        self._jobs[job_id] = Job(rows, schema, self.pending_polls, self.location)
        return self._results(job_id, 0, max_results or 10_000)

    def _query_results(self, request: httpx.Request, job_id: str) -> Reply:
        params = request.url.params
        job = self._jobs.get(job_id)
        if job is None or params.get("location", job.location) != job.location:
            return self._bq_not_found(f"Job {self.project}:{self.location}.{job_id}")
        token = params.get("pageToken")
        offset = 0
        if token is not None:
            issued = self._page_tokens.get(token)
            if issued is None or issued[0] != job_id:
                return self._bq_invalid("Invalid page token.")
            offset = issued[1]
        max_results = params.get("maxResults", "10000")
        if not max_results.isdigit() or int(max_results) < 1:
            return self._bq_invalid("maxResults must be a positive integer.")
        return self._results(job_id, offset, int(max_results))

    def _results(self, job_id: str, offset: int, max_results: int) -> Reply:
        job = self._jobs[job_id]
        reference = {"projectId": self.project, "jobId": job_id, "location": job.location}
        if job.pending > 0:
            job.pending -= 1
            return Reply(
                200,
                {"kind": "bigquery#queryResponse", "jobReference": reference, "jobComplete": False},
            )
        answer: dict[str, Any] = {
            "kind": "bigquery#queryResponse",
            "schema": {"fields": job.schema},
            "jobReference": reference,
            "totalRows": str(len(job.rows)),
            "rows": job.rows[offset : offset + max_results],
            "jobComplete": True,
            "cacheHit": False,
        }
        if offset + max_results < len(job.rows):
            token = base64.urlsafe_b64encode(f"{job_id}/{offset + max_results}".encode()).decode()
            self._page_tokens[token] = (job_id, offset + max_results)
            answer["pageToken"] = token
        if not answer["rows"]:
            del answer["rows"]  # BigQuery omits an empty page's rows
        return Reply(200, answer)


def _table_day(table: str) -> date | None:
    if not re.fullmatch(r"events_\d{8}", table):
        return None
    try:
        return datetime.strptime(table.removeprefix("events_"), "%Y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        return None


def _cell(column: dict[str, Any], value: Any) -> Any:
    """A Python value in BigQuery's JSON row format for ``column``."""
    if value is None:
        return [] if column.get("mode") == "REPEATED" else None
    if column.get("mode") == "REPEATED":
        item = {**column, "mode": "NULLABLE"}
        return [{"v": _cell(item, entry)} for entry in value]
    if column["type"] == "RECORD":
        return {"f": [{"v": _cell(f, value.get(f["name"]))} for f in column["fields"]]}
    if column["type"] == "BOOLEAN":
        return "true" if value else "false"
    return str(value)


def _metric_text(value: int | float) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))
