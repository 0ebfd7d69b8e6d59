"""Tencent Ads return codes mapped onto the plugin error hierarchy.

Tencent answers business errors with HTTP 200 and a non-zero ``code`` in the body
(shared/platforms/tencent-ads.md §6). Token codes are handled by the client first (one
refresh and retry); whatever reaches :func:`error_for` is final for this call.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from junction.plugins import AuthFailed, PermanentFailure, PluginError, RateLimited, Retryable

__all__ = ["REFRESHABLE", "error_for"]

#: The access token expired (11000) or is invalid/malformed/empty: a fresh one may work.
REFRESHABLE = frozenset({11000, 11002, 11004, 11005})

#: Credentials the admin must fix: a token still refused after a refresh, the app id,
#: authorization codes, the refresh token, the granted scope.
_AUTH = frozenset({11000, 11002, 11004, 11005, 11007, 11009, 11010, 11011, 11012, 11013, 11014})

#: Quota codes and the wait the guide gives for each, in seconds.
_RATE_LIMITS: dict[int, float] = {
    10000: 1.0,  # system busy
    11008: 60.0,  # app request limit
    11016: 1.0,  # per-second app limit
    11017: 60.0,  # per-minute app limit
    11019: 5.0,  # too frequent / subject-level limit
    11022: 60.0,  # user_token over-used
    30104: 60.0,  # "retry after one minute" (SDK issue #27)
}

_REAUTHORIZE = "re-authorize the app on the account and paste the new refresh token"
_AUTH_HINTS = {
    11007: "check the connection's app id (client_id) and app secret",
    11014: "authorize the app with the audience management scope",
}

_CST = timedelta(hours=8)


def error_for(code: int, message: str, *, what: str) -> PluginError:
    """The error to raise for return ``code`` of call ``what``.

    ``message`` is Tencent's own (it carries the trace id to quote to support).
    """
    text = f"Tencent Ads refused {what}: {message or 'no message'}"
    code_text = str(code)
    if code in _RATE_LIMITS:
        return RateLimited(text, retry_after=_RATE_LIMITS[code], code=code_text)
    if code == 11018:
        # The per-day quota resets at midnight Beijing time.
        wait = _until_cst_midnight()
        return RateLimited(f"{text} (daily quota)", retry_after=wait, code=code_text)
    if code == 10001 or 30000 <= code <= 30099:
        # Maintenance or a transient SysException: the guide says retry after a delay.
        return Retryable(text, retry_after=1.0 if code != 10001 else 60.0, code=code_text)
    if code in _AUTH:
        return AuthFailed(f"{text}; {_AUTH_HINTS.get(code, _REAUTHORIZE)}", code=code_text)
    if 12000 <= code <= 12999 and code != 12000:
        # Timestamp skew / duplicate nonce (exact codes unconfirmed): every attempt sends
        # a fresh timestamp and nonce, so a retry can succeed.
        return Retryable(text, code=code_text)
    return PermanentFailure(text, code=code_text)


def _until_cst_midnight(now: datetime | None = None) -> float:
    local = (now or datetime.now(UTC)) + _CST
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - local).total_seconds()
