"""What Aliyun's result codes mean for a send (shared/platforms/aliyun-sms.md §4).

Every answer carries one ``Code`` for the whole call, ``OK`` or the reason it was
refused. A refused call sent nothing, so codes about one number or one message
(:attr:`Verdict.REJECT`, :attr:`Verdict.DEFER`) can be pinned on the right recipient
by sending a refused batch's numbers again one by one.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Verdict", "verdict"]


class Verdict(StrEnum):
    #: Sent.
    OK = "ok"
    #: This number or its message can't be sent (invalid number, forbidden content).
    REJECT = "reject"
    #: This number hit the per-number flow control: send it in a later pass or run.
    DEFER = "defer"
    #: The account's daily or monthly cap is reached: nothing more goes out for now.
    DEFER_ALL = "defer_all"
    #: The signature, the template or the account can't send: fix the setup.
    CONFIG = "config"
    #: The credentials, their permissions or this server's clock are refused.
    AUTH = "auth"
    #: The API gateway throttled the caller.
    THROTTLED = "throttled"
    #: Refused before anything was sent, for a reason that passes (retry the call).
    RETRY = "retry"
    #: The request itself is malformed: a bug to report, not something a resend fixes.
    MALFORMED = "malformed"


_EXACT: dict[str, Verdict] = {
    "OK": Verdict.OK,
    "isv.MOBILE_NUMBER_ILLEGAL": Verdict.REJECT,
    "isv.SMS_CONTENT_ILLEGAL": Verdict.REJECT,
    "isv.BUSINESS_LIMIT_CONTROL": Verdict.DEFER,
    "isv.DAY_LIMIT_CONTROL": Verdict.DEFER_ALL,
    "isv.MONTH_LIMIT_CONTROL": Verdict.DEFER_ALL,
    "isv.TEMPLATE_MISSING_PARAMETERS": Verdict.CONFIG,
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": Verdict.CONFIG,
    "isv.SMS_SIGN_ILLEGAL": Verdict.CONFIG,
    "isv.SIGN_STATE_ILLEGAL": Verdict.CONFIG,
    "isv.SMS_TEMPLATE_ILLEGAL": Verdict.CONFIG,
    "isv.DENY_IP_RANGE": Verdict.CONFIG,
    "isv.OUT_OF_SERVICE": Verdict.CONFIG,
    "isv.AMOUNT_NOT_ENOUGH": Verdict.CONFIG,
    "isp.RAM_PERMISSION_DENY": Verdict.AUTH,
    "SignatureDoesNotMatch": Verdict.AUTH,
    "IncompleteSignature": Verdict.AUTH,
    "InvalidTimeStamp.Expired": Verdict.AUTH,
    # The platform failed inside and said so: nothing was sent (the spec marks the
    # semantics unconfirmed; a timeout, by contrast, is never retried).
    "isp.SYSTEM_ERROR": Verdict.RETRY,
    # The nonce is fresh on every attempt, so resending is the fix.
    "SignatureNonceUsed": Verdict.RETRY,
}

_PREFIXES: tuple[tuple[str, Verdict], ...] = (
    ("InvalidAccessKeyId", Verdict.AUTH),
    ("Throttling", Verdict.THROTTLED),
    ("Missing", Verdict.MALFORMED),
    ("InvalidParameter", Verdict.MALFORMED),
    ("isv.INVALID_", Verdict.MALFORMED),
    # Other business refusals concern what was sent: kept with the recipient.
    ("isv.", Verdict.REJECT),
)

#: What an admin should do about each AUTH code.
HINTS: dict[str, str] = {
    "InvalidTimeStamp.Expired": "the request timestamp was refused; check this server's clock",
    "isp.RAM_PERMISSION_DENY": "the RAM user may not send SMS; grant it AliyunDysmsFullAccess",
}


def verdict(code: str) -> Verdict:
    """The verdict on ``code``; an unknown non-business code counts as malformed."""
    if code in _EXACT:
        return _EXACT[code]
    for prefix, found in _PREFIXES:
        if code.startswith(prefix):
            return found
    return Verdict.MALFORMED
