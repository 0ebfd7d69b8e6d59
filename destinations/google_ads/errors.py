"""Google's JSON error envelope, read once and mapped onto the plugin error hierarchy.

Both APIs answer errors as ``{"error": {"code", "status", "message", "details"}}``
(google-ads.md §5 and DM-9). The reason sits in different places: Data Manager puts it
in ``google.rpc.ErrorInfo.reason`` and ``BadRequest.fieldViolations[].reason``; the
Google Ads API in ``GoogleAdsFailure.errors[].errorCode`` (``{"quotaError":
"RESOURCE_TEMPORARILY_EXHAUSTED"}``). :func:`parse` collects both, and
:func:`plugin_error` decides what the engine does next.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    PermanentFailure,
    PluginError,
    RateLimited,
    Retryable,
)
from junction.plugins.http import retry_after

__all__ = ["ApiError", "InvalidArgument", "Violation", "parse", "plugin_error"]

#: Reasons that mean the connection's configuration can't work as it is.
CONFIG_REASONS = frozenset(
    {
        "INVALID_USER_LIST_ID",
        "INVALID_USER_LIST_TYPE",
        "INCOMPATIBLE_UPLOAD_KEY_TYPE",
        "INVALID_DESTINATION",
        "OPERATING_ACCOUNT_LOGIN_ACCOUNT_MISMATCH",
        "TERMS_AND_CONDITIONS_NOT_SIGNED",
        "CUSTOMER_NOT_ACCEPTED_CUSTOMER_DATA_TERMS",
        "NOT_ALLOWLISTED",
        "CUSTOMER_NOT_ALLOWLISTED_FOR_THIS_FEATURE",
        "NOT_ON_ALLOWLIST_FOR_USER_ID",
        "USER_LIST_MUTATION_NOT_SUPPORTED",
        "DATA_PARTNER_USER_LIST_MUTATE_NOT_ALLOWED",
        "OPERATIONS_FOR_CUSTOMER_MATCH_NOT_ALLOWED",
        "INVALID_CUSTOMER_ID",
        "CUSTOMER_NOT_FOUND",
    }
)
#: Per-minute quota: Google's guidance is to back off at least a minute.
_QUOTA_WAIT = 60.0
#: Daily quota: the window slides over 24 h; the run gives up and the next run retries.
_DAILY_QUOTA_WAIT = 3600.0
_INDEX = re.compile(r"^(?:audience_members|audienceMembers|operations)\[(\d+)\]")


@dataclass(frozen=True)
class Violation:
    """One located problem: the request field it names and Google's reason."""

    field: str
    reason: str
    description: str = ""

    @property
    def member_index(self) -> int | None:
        """The index of the member / operation the field path points into, if any."""
        match = _INDEX.match(self.field)
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class ApiError:
    """A Google error answer, with everything a caller decides by."""

    http_status: int
    status: str
    message: str
    reasons: tuple[str, ...] = ()
    violations: tuple[Violation, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    request_id: str | None = None
    retry_after: float | None = None

    @property
    def reason(self) -> str | None:
        return self.reasons[0] if self.reasons else None

    def describe(self) -> str:
        parts = [f"HTTP {self.http_status} {self.status}".strip()]
        if self.reasons:
            parts.append(", ".join(dict.fromkeys(self.reasons)))
        if self.message:
            parts.append(self.message[:200])
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        return ": ".join(parts)


class InvalidArgument(PermanentFailure):
    """A 400 Google refused as sent; ``error`` says where, so callers can drop culprits."""

    def __init__(self, message: str, error: ApiError) -> None:
        super().__init__(message, code=error.reason or error.status)
        self.error = error


def parse(response: httpx.Response) -> ApiError:
    """Read a Google error answer; tolerant of bodies that are not Google's envelope."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    reasons: list[str] = []
    violations: list[Violation] = []
    metadata: dict[str, str] = {}
    request_id = response.headers.get("request-id")
    for detail in _dicts(error.get("details")):
        kind = str(detail.get("@type", ""))
        if kind.endswith("google.rpc.ErrorInfo"):
            reasons.append(str(detail.get("reason", "")))
            meta = detail.get("metadata")
            if isinstance(meta, dict):
                metadata.update({str(k): str(v) for k, v in meta.items()})
        elif kind.endswith("google.rpc.BadRequest"):
            for item in _dicts(detail.get("fieldViolations")):
                violation = Violation(
                    field=str(item.get("field", "")),
                    reason=str(item.get("reason", "")),
                    description=str(item.get("description", "")),
                )
                violations.append(violation)
                if violation.reason:
                    reasons.append(violation.reason)
        elif kind.endswith("google.rpc.RequestInfo"):
            request_id = str(detail.get("requestId") or request_id or "") or None
        elif kind.endswith("GoogleAdsFailure"):
            request_id = str(detail.get("requestId") or request_id or "") or None
            for item in _dicts(detail.get("errors")):
                code = ads_error_code(item)
                reasons.append(code)
                violations.append(
                    Violation(
                        field=ads_error_field(item),
                        reason=code,
                        description=str(item.get("message", "")),
                    )
                )
    return ApiError(
        http_status=response.status_code,
        status=str(error.get("status", "")),
        message=str(error.get("message", "")),
        reasons=tuple(r for r in reasons if r),
        violations=tuple(violations),
        metadata=metadata,
        request_id=request_id,
        retry_after=retry_after(response),
    )


def ads_error_code(error: dict[str, Any]) -> str:
    """``{"errorCode": {"quotaError": "RESOURCE_EXHAUSTED"}}`` → ``RESOURCE_EXHAUSTED``."""
    code = error.get("errorCode")
    if isinstance(code, dict):
        for value in code.values():
            return str(value)
    return ""


def ads_error_field(error: dict[str, Any]) -> str:
    """The field path of a GoogleAdsError as ``operations[3].create...``."""
    location = error.get("location")
    elements = location.get("fieldPathElements") if isinstance(location, dict) else None
    path = []
    for element in _dicts(elements):
        name = str(element.get("fieldName", ""))
        index = element.get("index")
        path.append(f"{name}[{index}]" if index is not None else name)
    return ".".join(path)


def plugin_error(error: ApiError, what: str) -> PluginError:
    """The plugin error for ``error``, raised by ``what`` ("ingest audience members")."""
    text = f"Google answered {what} with {error.describe()}"
    code = error.reason or error.status or str(error.http_status)
    reasons = set(error.reasons)
    status = error.http_status
    if (
        status == 429
        or error.status == "RESOURCE_EXHAUSTED"
        or reasons
        & {
            "RESOURCE_EXHAUSTED",
            "RESOURCE_TEMPORARILY_EXHAUSTED",
        }
    ):
        # Data Manager names the quota; a per-day one only frees up as the window slides.
        daily = "PerDay" in error.metadata.get("quota_limit", "")
        wait = error.retry_after or (_DAILY_QUOTA_WAIT if daily else _QUOTA_WAIT)
        return RateLimited(text, retry_after=wait, code=code)
    if reasons & CONFIG_REASONS or status == 404 or error.status == "NOT_FOUND":
        return ConfigInvalid(text, code=code)
    if status == 401 or error.status == "UNAUTHENTICATED":
        if any(reason.startswith("DEVELOPER_TOKEN") for reason in reasons):
            return AuthFailed(f"{text}; check the developer token", code=code)
        return AuthFailed(
            f"{text} even with a fresh access token; reconnect the account", code=code
        )
    if status == 403 or error.status == "PERMISSION_DENIED":
        return AuthFailed(
            f"{text}; check that the credentials' user can reach the customer account "
            "(and, for the Google Ads API, that the developer token is approved)",
            code=code,
        )
    if status == 409 and (error.status == "ABORTED" or "CONCURRENT_MODIFICATION" in reasons):
        # Two writers on one list or job: Google asks for a short backoff and a retry.
        return Retryable(text, retry_after=error.retry_after or 1.0, code=code)
    if "CONCURRENT_MODIFICATION" in reasons or "TRANSIENT_ERROR" in reasons:
        return Retryable(text, retry_after=error.retry_after, code=code)
    if status >= 500 or status in (408, 425):
        return Retryable(text, retry_after=error.retry_after, code=code)
    if status == 400 and error.status in ("", "INVALID_ARGUMENT"):
        return InvalidArgument(text, error)
    return PermanentFailure(text, code=code)


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, dict))
