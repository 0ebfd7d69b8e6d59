"""What WeCom's ``errcode`` values mean for the caller (shared/platforms/wecom.md §3)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["HINTS", "THROTTLE_WAIT", "Verdict", "describe", "verdict"]


class Verdict(StrEnum):
    OK = "ok"
    #: The access token is invalid, expired or missing: refetch it and call once more.
    TOKEN = "token"
    #: The corp id, app secret or robot key is wrong (or the robot was removed).
    AUTH = "auth"
    #: Frequency or concurrency limit: back off (WeCom's window is a minute).
    THROTTLED = "throttled"
    #: "System busy" / version conflict: the call did nothing, try again later.
    BUSY = "busy"
    #: The recipients are refused (invalid user, list, or all of them unknown).
    REJECT = "reject"
    #: The request is malformed as configured (message type, parameters, length).
    CONFIG = "config"
    #: Any other code: this call won't succeed as sent.
    OTHER = "other"


_CODES: dict[int, Verdict] = {
    0: Verdict.OK,
    40014: Verdict.TOKEN,
    42001: Verdict.TOKEN,
    41001: Verdict.TOKEN,
    40001: Verdict.AUTH,
    40013: Verdict.AUTH,
    40091: Verdict.AUTH,
    93000: Verdict.AUTH,
    45009: Verdict.THROTTLED,
    45033: Verdict.THROTTLED,
    -1: Verdict.BUSY,
    6000: Verdict.BUSY,
    40003: Verdict.REJECT,
    40031: Verdict.REJECT,
    81013: Verdict.REJECT,
    40008: Verdict.CONFIG,
    40032: Verdict.CONFIG,
    40035: Verdict.CONFIG,
    40058: Verdict.CONFIG,
}

#: What an admin should do about an auth code; WeCom's errmsg may change, these don't.
HINTS: dict[int, str] = {
    40001: "the app secret (corp_secret) is wrong",
    40013: "the corp id (corp_id) is wrong",
    40091: "the app secret (corp_secret) is invalid",
    93000: "the robot key is invalid or the robot was removed from its group",
}

#: WeCom's frequency window is a minute; notifier libraries wait about that long.
THROTTLE_WAIT = 60.0


def verdict(errcode: int) -> Verdict:
    return _CODES.get(errcode, Verdict.OTHER)


def describe(errcode: int, errmsg: str) -> str:
    """``errcode: errmsg`` cut short; decide on the code, show the message."""
    text = errmsg.split(", hint:")[0].strip()[:160]
    return f"{errcode}: {text or 'no message'}"
