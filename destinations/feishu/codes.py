"""What Feishu's ``code`` values mean for the caller (shared/platforms/feishu.md §1.2, §2.3)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["HINTS", "Verdict", "describe", "verdict"]


class Verdict(StrEnum):
    OK = "ok"
    #: The tenant access token is invalid or missing: refetch it and call once more.
    TOKEN = "token"
    #: Signature, IP allow-list or credentials refused.
    AUTH = "auth"
    #: The app or bot lacks something only an admin can give (a scope, a keyword).
    CONFIG = "config"
    #: Frequency limits: back off and try again.
    THROTTLED = "throttled"
    #: Feishu's own failure: try again later.
    BUSY = "busy"
    #: This recipient can't be messaged (unknown id, outside the app's scope...).
    REJECT = "reject"
    #: The request is malformed: resending it unchanged can't succeed.
    MALFORMED = "malformed"


_CODES: dict[int, Verdict] = {
    0: Verdict.OK,
    99991663: Verdict.TOKEN,
    99991661: Verdict.TOKEN,
    19001: Verdict.AUTH,
    19021: Verdict.AUTH,
    19022: Verdict.AUTH,
    19024: Verdict.CONFIG,
    99991672: Verdict.CONFIG,
    11232: Verdict.THROTTLED,
    99991400: Verdict.THROTTLED,
    230020: Verdict.THROTTLED,
    1500: Verdict.BUSY,
    1503: Verdict.BUSY,
}

HINTS: dict[int, str] = {
    19001: "Feishu does not know this webhook token: was the bot removed from its group?",
    19021: "the signature did not match or the clock is off by over an hour: check "
    "webhook_secret and the server's clock",
    19022: "this server's IP address is not in the bot's allow-list",
    19024: "the message lacks the keyword the bot's security settings require",
    99991672: "the app lacks a scope: grant im:message:send_as_bot and publish a version",
}


def verdict(code: int, msg: str = "") -> Verdict:
    """What to do about ``code``; ``msg`` only splits Feishu's overloaded 9499."""
    if code == 9499:
        # The custom bot answers 9499 both for a malformed body ("Bad Request") and when
        # it throttles ("too many request"). Bodies are built and size-checked here, so
        # only an explicit "Bad Request" counts as malformed.
        return Verdict.MALFORMED if "bad request" in msg.lower() else Verdict.THROTTLED
    found = _CODES.get(code)
    if found is not None:
        return found
    if 230000 <= code < 231000:
        # Message-API codes: bot not in the chat, user outside the app's scope, invalid
        # receive_id... about this recipient, not the call.
        return Verdict.REJECT
    return Verdict.MALFORMED


def describe(code: int, msg: str) -> str:
    return f"{code}: {msg.strip()[:160] or 'no message'}"
