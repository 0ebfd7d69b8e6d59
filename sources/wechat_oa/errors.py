"""WeChat's ``errcode`` values, turned into the plugin errors the engine acts on.

The API answers HTTP 200 with ``{"errcode": n, "errmsg": "..."}`` on failure. What
the engine should do next depends on the code, not on the HTTP status:

- token codes (40001, 40014, 42001) are handled by :mod:`.api` (refresh, retry once);
- -1 "system busy" and the quota codes are :class:`RateLimited`;
- bad app id / secret / caller IP are :class:`AuthFailed`, with what to fix;
- an API the account may not call is :class:`ConfigInvalid`;
- anything else refuses the call as sent: :class:`PermanentFailure`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    PermanentFailure,
    PluginError,
    RateLimited,
)

__all__ = ["SYSTEM_BUSY", "TOKEN_CALL", "TOKEN_INVALID", "error_for"]

#: The platform says the access token is not (or no longer) valid: refresh, retry once.
TOKEN_INVALID = frozenset({40001, 40014, 42001})
SYSTEM_BUSY = -1
#: The token call: there, 40001 means the AppSecret is wrong, not the token.
TOKEN_CALL = "stable_token"

_BEIJING = timezone(timedelta(hours=8))

# What an admin must do, by code, for the credential errors.
_AUTH = {
    40001: "WeChat refused the AppSecret (40001): copy it again from 设置与开发 → 基本配置, "
    "and reset it there if it was changed",
    40013: "WeChat does not know this AppID (40013): check app_id against 基本配置",
    40125: "WeChat refused the AppSecret (40125): copy it again from 设置与开发 → "
    "基本配置, and reset it there if it was changed",
    40164: "the hub's IP address is not in the account's IP whitelist (40164): add it under "
    "设置与开发 → 基本配置 → IP白名单",
    41004: "the AppSecret is missing (41004)",
}


def _until_next_minute(now: datetime) -> float:
    return max(1.0, 60.0 - now.second - now.microsecond / 1e6)


def _until_beijing_midnight(now: datetime) -> float:
    local = now.astimezone(_BEIJING)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - local).total_seconds()


def error_for(errcode: int, errmsg: str, *, call: str, now: datetime) -> PluginError:
    """The error to raise for ``errcode`` answered to ``call`` (e.g. ``"user/get"``).

    ``errmsg`` is WeChat's own text (it names the caller IP for 40164 and a request id
    for support); it never holds a credential.
    """
    code = str(errcode)
    said = f"WeChat said: {errmsg}" if errmsg else "WeChat gave no message"
    if errcode == SYSTEM_BUSY:
        return RateLimited(f"{call}: WeChat is busy (-1); {said}", retry_after=2.0, code=code)
    if errcode == 45009:
        return RateLimited(
            f"{call}: the account's daily quota for this API is used up (45009); it resets at "
            f"midnight Beijing time, or an admin can clear it in the console; {said}",
            retry_after=_until_beijing_midnight(now),
            code=code,
        )
    if errcode == 45011:
        return RateLimited(
            f"{call}: the per-minute quota is used up (45011); {said}",
            retry_after=_until_next_minute(now),
            code=code,
        )
    if errcode in TOKEN_INVALID and call != TOKEN_CALL:
        return AuthFailed(
            f"{call}: WeChat refused a freshly issued access token ({errcode}); is another "
            f"system force-refreshing this account's token? {said}",
            code=code,
        )
    if errcode in _AUTH:
        return AuthFailed(f"{_AUTH[errcode]}; {said}", code=code)
    if errcode == 48001:
        return ConfigInvalid(
            f"{call}: this account may not call this API (48001, not authorized): user "
            f"management needs a verified service or subscription account; {said}",
            field="app_id",
            code=code,
        )
    return PermanentFailure(f"{call}: WeChat refused the call ({errcode}); {said}", code=code)
