"""What Tencent Cloud SMS error codes mean for a send (shared/platforms/tencent-sms.md §4).

A code comes either as the whole call's ``Response.Error`` (nothing was sent) or per
number in ``SendStatusSet`` of a call that went through. Codes about one number or
one message (:attr:`Verdict.REJECT`, :attr:`Verdict.DEFER`) that refuse a whole call
of several numbers are pinned on the right recipient by sending them one by one.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["HINTS", "Verdict", "verdict"]


class Verdict(StrEnum):
    OK = "ok"
    #: This number or its message can't be sent (invalid number, blacklisted...).
    REJECT = "reject"
    #: This number hit a frequency rule: send it in a later pass or run.
    DEFER = "defer"
    #: The application's daily cap (or the marketing time window) stops all sends now.
    DEFER_ALL = "defer_all"
    #: The signature, template, application or account can't send: fix the setup.
    CONFIG = "config"
    #: The credentials, their permissions or this server's clock are refused.
    AUTH = "auth"
    #: The API throttled the caller.
    THROTTLED = "throttled"
    #: The backend failed and said so: nothing was sent, the call may be retried.
    RETRY = "retry"
    #: The backend timed out on its side: the SMS may or may not have gone out.
    UNKNOWN = "unknown"
    #: The request itself is malformed: a bug to report, not something a resend fixes.
    MALFORMED = "malformed"


_EXACT: dict[str, Verdict] = {
    "Ok": Verdict.OK,
    # Request construction errors despite their prefix.
    "InternalError.SigVerificationFail": Verdict.MALFORMED,
    "InternalError.SigFieldMissing": Verdict.MALFORMED,
    "InternalError.RestApiInterfaceNotExist": Verdict.MALFORMED,
    "InternalError.JsonParseFail": Verdict.MALFORMED,
    # The backend gave up waiting on the carrier: the SMS may still be delivered.
    "InternalError.Timeout": Verdict.UNKNOWN,
    "InternalError.SendAndRecvFail": Verdict.UNKNOWN,
    "LimitExceeded.PhoneNumberCountLimit": Verdict.MALFORMED,
    "LimitExceeded.AppCountryOrRegionInBlacklist": Verdict.REJECT,
    "LimitExceeded.AppDailyLimit": Verdict.DEFER_ALL,
    "LimitExceeded.AppMainlandChinaDailyLimit": Verdict.DEFER_ALL,
    "LimitExceeded.AppGlobalDailyLimit": Verdict.DEFER_ALL,
    "LimitExceeded.AppCountryOrRegionDailyLimit": Verdict.DEFER_ALL,
    "LimitExceeded.DailyLimit": Verdict.DEFER_ALL,
    "FailedOperation.MarketingSendTimeConstraint": Verdict.DEFER_ALL,
    "FailedOperation.SignatureIncorrectOrUnapproved": Verdict.CONFIG,
    "FailedOperation.TemplateIncorrectOrUnapproved": Verdict.CONFIG,
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": Verdict.CONFIG,
    "FailedOperation.InsufficientBalanceInSmsPackage": Verdict.CONFIG,
    "InvalidParameterValue.SdkAppIdNotExist": Verdict.CONFIG,
    "UnauthorizedOperation.ServiceSuspendDueToArrears": Verdict.CONFIG,
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": Verdict.AUTH,
    "UnauthorizedOperation.RequestIpNotInWhitelist": Verdict.AUTH,
    "UnauthorizedOperation.RequestPermissionDeny": Verdict.AUTH,
    "InvalidParameterValue.IncorrectPhoneNumber": Verdict.REJECT,
    "InvalidParameterValue.TemplateParameterFormatError": Verdict.REJECT,
    "InvalidParameterValue.TemplateParameterLengthLimit": Verdict.REJECT,
    "InvalidParameterValue.ContentLengthLimit": Verdict.REJECT,
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": Verdict.REJECT,
    "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone": Verdict.REJECT,
    "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone": Verdict.REJECT,
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": Verdict.MALFORMED,
}

_PREFIXES: tuple[tuple[str, Verdict], ...] = (
    ("AuthFailure", Verdict.AUTH),
    ("RequestLimitExceeded", Verdict.THROTTLED),
    ("InternalError", Verdict.RETRY),
    # Per-number frequency rules (PhoneNumberThirtySecondLimit, DeliveryFrequencyLimit...).
    ("LimitExceeded.", Verdict.DEFER),
    # Other business refusals concern what was sent: kept with the recipient.
    ("FailedOperation.", Verdict.REJECT),
)

#: What an admin should do about AUTH codes.
HINTS: dict[str, str] = {
    "AuthFailure.SignatureExpire": "the request timestamp was refused; check this server's clock",
    "AuthFailure.SecretIdNotFound": "the SecretId does not exist; check it",
    "AuthFailure.InvalidSecretId": "the SecretId is not valid; check it",
    "AuthFailure.UnauthorizedOperation": "the CAM user may not send SMS; grant it access",
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": (
        "the SmsSdkAppId does not belong to this account; check sms_sdk_app_id"
    ),
    "UnauthorizedOperation.RequestIpNotInWhitelist": (
        "this server's IP is not on the application's allow-list"
    ),
}


def verdict(code: str) -> Verdict:
    """The verdict on ``code``; anything unrecognised counts as malformed."""
    if code in _EXACT:
        return _EXACT[code]
    for prefix, found in _PREFIXES:
        if code.startswith(prefix):
            return found
    return Verdict.MALFORMED
