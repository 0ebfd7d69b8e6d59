"""Meta's error bodies mapped onto the plugin error hierarchy (meta.md §7).

Meta answers most API errors with HTTP 400 whatever their cause, so the decision is
made on ``code`` / ``error_subcode`` / ``is_transient``, not on the status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
from junction.plugins.http import retry_after as header_retry_after

__all__ = [
    "FLAGGED_AUDIENCE",
    "RATE_LIMIT_CODES",
    "TOKEN_CODES",
    "UNKNOWN_OBJECT",
    "GraphError",
    "error_for",
    "retry_after",
]

#: Throttling: app (4), user (17), page (32), application feed (341), ad account (613)
#: limits and the business-use-case range (80000-80014; 80003 custom audiences).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 341, 613, *range(80000, 80015)})
#: Unknown error (1) and service temporarily unavailable (2).
TRANSIENT_CODES = frozenset({1, 2})
#: The token is invalid, expired or revoked (102 is the older session-key code).
TOKEN_CODES = frozenset({102, 190})
#: Permission errors: the token works but may not manage this account's audiences.
PERMISSION_CODES = frozenset({10, *range(200, 300)})
#: Subcode of 100: the object does not exist or the token can't see it.
UNKNOWN_OBJECT = 33
#: Subcode of 100: the audience is flagged by integrity restrictions (status 471).
FLAGGED_AUDIENCE = 1713230
#: A retired Graph API version. Not in meta.md (from Meta's error reference, as we
#: remember it): stopping beats dead-lettering every member of every batch.
DEPRECATED_VERSION = 2635


@dataclass(frozen=True)
class GraphError:
    """The ``error`` object of a Graph API answer."""

    code: int | None
    subcode: int | None
    message: str
    transient: bool
    user_message: str = ""

    @classmethod
    def parse(cls, body: Any) -> GraphError | None:
        """The error in a decoded body, or None when it carries none."""
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None
        return cls(
            code=_int(error.get("code")),
            subcode=_int(error.get("error_subcode")),
            message=str(error.get("message") or "no message"),
            transient=error.get("is_transient") is True,
            user_message=str(error.get("error_user_msg") or ""),
        )

    @property
    def label(self) -> str:
        """The code as the run detail shows it: ``100`` or ``100/33``."""
        if self.code is None:
            return "unknown"
        return f"{self.code}/{self.subcode}" if self.subcode else str(self.code)

    def describe(self) -> str:
        detail = f"{self.message} ({self.user_message})" if self.user_message else self.message
        return f"Meta error {self.label}: {detail}"


def error_for(response: httpx.Response, what: str, error: GraphError | None) -> PluginError:
    """The exception for a failed call; ``what`` says which call, for the message."""
    wait = retry_after(response)
    if error is None:
        where = f"{what}: Meta answered HTTP {response.status_code}"
        if response.status_code == 429:
            return RateLimited(f"{where} (throttled)", retry_after=wait)
        if response.status_code >= 500 or response.status_code in (408, 425):
            return Retryable(where, retry_after=wait)
        if response.status_code in (401, 403):
            return AuthFailed(f"{where}; check the access token")
        return PermanentFailure(f"{where} without a Graph API error body")
    text, code = f"{what}: {error.describe()}", error.label
    if error.code in TOKEN_CODES:
        return AuthFailed(
            f"{text}. The access token is invalid or expired: issue a new system-user "
            "token with ads_management and update the connection",
            code=code,
        )
    if error.code in PERMISSION_CODES:
        return AuthFailed(
            f"{text}. The token lacks a permission (ads_management) or access to the ad account",
            code=code,
        )
    if error.code in RATE_LIMIT_CODES or response.status_code == 429:
        return RateLimited(text, retry_after=wait, code=code)
    if error.transient or error.code in TRANSIENT_CODES or response.status_code >= 500:
        return Retryable(text, retry_after=wait, code=code)
    if error.code == 100 and error.subcode == UNKNOWN_OBJECT:
        return ConfigInvalid(
            f"{text}. The ad account or audience does not exist or the token can't see it",
            field="ad_account_id",
            code=code,
        )
    if error.code == DEPRECATED_VERSION:
        return ConfigInvalid(
            f"{text}. Meta retired this Graph API version: set a current api_version",
            field="api_version",
            code=code,
        )
    if error.code == 100 and error.subcode == FLAGGED_AUDIENCE:
        return ConfigInvalid(
            f"{text}. Meta flagged the audience (operation_status 471); resolve it in "
            "Ads Manager before syncing again",
            code=code,
        )
    # 100 / 2650 invalid parameters, 368 blocked: resending the same call can't help.
    return PermanentFailure(text, code=code)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait: the longest of Meta's usage headers' hints and ``Retry-After``."""
    waits = [
        *_usage_waits(response.headers.get("X-Business-Use-Case-Usage")),
        *_usage_waits(response.headers.get("X-Ad-Account-Usage")),
    ]
    header = header_retry_after(response.headers.get("Retry-After"))
    if header is not None:
        waits.append(header)
    return max(waits) if waits else None


def _usage_waits(header: str | None) -> list[float]:
    """``estimated_time_to_regain_access`` (minutes) in a usage header, as seconds.

    X-Business-Use-Case-Usage maps business ids to lists of usage objects;
    X-Ad-Account-Usage is one object. Anything unreadable is ignored: the header is a
    hint, and the engine's own backoff still applies.
    """
    if not header:
        return []
    try:
        usage = json.loads(header)
    except ValueError:
        return []
    items: list[Any] = []
    if isinstance(usage, dict) and "estimated_time_to_regain_access" in usage:
        items = [usage]
    elif isinstance(usage, dict):
        for value in usage.values():
            items.extend(value if isinstance(value, list) else [value])
    minutes = [
        item.get("estimated_time_to_regain_access") for item in items if isinstance(item, dict)
    ]
    return [float(m) * 60 for m in minutes if isinstance(m, int | float) and m > 0]


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
