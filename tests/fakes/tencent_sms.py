"""A strict fake of Tencent Cloud SMS (API 3.0, SendSms 2021-01-11), with fault injection.

It enforces shared/platforms/tencent-sms.md in the order the platform does:

1. the API gateway: POST to ``/`` on the SMS host; ``X-TC-Action: SendSms``,
   ``X-TC-Version: 2021-01-11``, ``X-TC-Region`` and ``X-TC-Timestamp`` within 5 minutes
   (``AuthFailure.SignatureExpire``); an ``Authorization`` of the documented shape for a
   known SecretId (``AuthFailure.SecretIdNotFound``), whose credential scope names the
   UTC date of the timestamp and the ``sms`` service and whose signature equals the one
   recomputed here over the received content-type, host and body bytes
   (``AuthFailure.SignatureFailure``; an implementation of its own, not the plugin's);
2. the SMS service: a JSON body with only documented fields of the right types
   (``UnknownParameter`` / ``InvalidParameter``), a known SmsSdkAppId, 1 to 200 numbers
   in documented forms, not mixing mainland China and abroad, an approved template and
   signature (required for mainland numbers), as many TemplateParamSet values as the
   template has placeholders, SessionContext under 512 bytes.

Per-number outcomes come back in SendStatusSet: numbers in ``invalid_numbers`` get
``InvalidParameterValue.IncorrectPhoneNumber`` and those in ``limited_numbers``
``LimitExceeded.PhoneNumberDailyLimit``, while the others are sent. With
``refuse_whole_call`` such a number refuses the whole call in ``Response.Error``
instead (the spec says both happen). Faults, one per send call in order:
``pass``, ``throttle`` (``RequestLimitExceeded``), ``internal`` (``InternalError``),
``internal_timeout`` (``InternalError.Timeout``, after sending), ``app_daily``
(``LimitExceeded.AppDailyLimit``), ``502`` (an HTML error page, after sending),
``timeout`` (sent, then no answer), ``refused`` (no connection, nothing sent).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

HOST = "sms.tencentcloudapi.com"
CONTENT_TYPES = ("application/json; charset=utf-8", "application/json")
FIELDS: dict[str, Any] = {
    "PhoneNumberSet": list,
    "SmsSdkAppId": str,
    "TemplateId": str,
    "SignName": str,
    "TemplateParamSet": list,
    "ExtendCode": str,
    "SessionContext": str,
    "SenderId": str,
}
_AUTHORIZATION = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/\s]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>\w+)"
    r"/tc3_request, SignedHeaders=(?P<headers>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})$"
)
_MAINLAND = re.compile(r"^(?:\+86|0086|86)?1\d{10}$")
_INTERNATIONAL = re.compile(r"^\+(?!86)[1-9]\d{6,14}$")


def tc3_signature(secret_key: str, timestamp: int, canonical_request: str) -> str:
    """The signature Tencent expects, computed as its signature v3 document says."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n{digest}"
    signing = mac(mac(mac(f"TC3{secret_key}".encode(), date), "sms"), "tc3_request")
    return hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()


class Refusal(Exception):
    """A call-level ``Response.Error``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Sms:
    number: str
    sign_name: str | None
    template: str
    params: tuple[str, ...]
    session: str | None
    serial: str


@dataclass
class FakeTencentSms:
    secret_id: str = "AKIDJunctionFake0001"
    secret_key: str = "tencent-secret-0123456789"
    app_id: str = "1400006666"
    sign_names: frozenset[str] = frozenset({"Junction"})
    #: Approved templates and how many {n} placeholders each has.
    templates: dict[str, int] = field(default_factory=lambda: {"1110": 2, "1111": 0})
    tolerance: float = 300.0
    invalid_numbers: set[str] = field(default_factory=set)
    limited_numbers: set[str] = field(default_factory=set)
    refuse_whole_call: bool = False
    faults: deque[str] = field(default_factory=deque)
    sent: list[Sms] = field(default_factory=list)
    #: Bodies of the calls that passed the gateway.
    calls: list[dict[str, Any]] = field(default_factory=list)
    _serials: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        try:
            body = self._gateway(request)
            fault = self.faults.popleft() if self.faults and body.get("PhoneNumberSet") else None
            if fault == "refused":
                raise httpx.ConnectError("connection refused", request=request)
            self.calls.append(body)
            if fault in ("throttle", "internal", "app_daily"):
                raise _fault(fault)
            statuses = self._send(body)
        except Refusal as refusal:
            return _answer({"Error": {"Code": refusal.code, "Message": refusal.message}})
        if fault == "timeout":
            raise httpx.ReadTimeout("no answer", request=request)
        if fault == "502":
            return httpx.Response(502, text="<html>502 Bad Gateway</html>")
        if fault == "internal_timeout":
            return _answer({"Error": {"Code": "InternalError.Timeout", "Message": "timeout"}})
        return _answer({"SendStatusSet": statuses})

    # --- the API gateway -------------------------------------------------------------

    def _gateway(self, request: httpx.Request) -> dict[str, Any]:
        if request.method != "POST" or request.url.path != "/" or request.url.host != HOST:
            raise Refusal("InvalidAction", "POST https://sms.tencentcloudapi.com/ only")
        headers = request.headers
        content_type = headers.get("content-type", "")
        if content_type not in CONTENT_TYPES:
            raise Refusal("InvalidParameter", f"unsupported Content-Type {content_type!r}")
        if headers.get("x-tc-action") != "SendSms":
            raise Refusal("InvalidAction", "the action does not exist")
        if headers.get("x-tc-version") != "2021-01-11":
            raise Refusal("NoSuchVersion", "the version does not exist")
        if not headers.get("x-tc-region"):
            raise Refusal("MissingParameter", "X-TC-Region is required by 2021-01-11")
        try:
            timestamp = int(headers.get("x-tc-timestamp", ""))
        except ValueError:
            raise Refusal("MissingParameter", "X-TC-Timestamp is required") from None
        if abs(timestamp - time.time()) > self.tolerance:
            raise Refusal("AuthFailure.SignatureExpire", "the signature expired")
        matched = _AUTHORIZATION.match(headers.get("authorization", ""))
        if matched is None:
            raise Refusal("AuthFailure.SignatureFailure", "malformed Authorization")
        if matched["id"] != self.secret_id:
            raise Refusal("AuthFailure.SecretIdNotFound", "the SecretId is not found")
        date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        if matched["date"] != date or matched["service"] != "sms":
            raise Refusal("AuthFailure.SignatureFailure", "the credential scope is wrong")
        if matched["headers"] != "content-type;host":
            raise Refusal("AuthFailure.SignatureFailure", "SignedHeaders must be content-type;host")
        payload_hash = hashlib.sha256(request.content).hexdigest()
        canonical = (
            f"POST\n/\n\ncontent-type:{content_type}\nhost:{headers.get('host')}\n\n"
            f"content-type;host\n{payload_hash}"
        )
        expected = tc3_signature(self.secret_key, timestamp, canonical)
        if not hmac.compare_digest(matched["signature"], expected):
            raise Refusal("AuthFailure.SignatureFailure", "the signature does not match")
        try:
            body = json.loads(request.content)
        except ValueError:
            raise Refusal("InternalError.JsonParseFail", "the body is not JSON") from None
        if not isinstance(body, dict):
            raise Refusal("InvalidParameter", "the body must be a JSON object")
        return body

    # --- the SMS service -------------------------------------------------------------

    def _send(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        for name, value in body.items():
            if name not in FIELDS:
                raise Refusal("UnknownParameter", f"the parameter {name} is not recognized")
            if not isinstance(value, FIELDS[name]):
                raise Refusal("InvalidParameter", f"{name} has the wrong type")
        if body.get("SmsSdkAppId") != self.app_id:
            raise Refusal("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist")
        numbers = body.get("PhoneNumberSet") or []
        if not numbers:
            raise Refusal("MissingParameter.EmptyPhoneNumberSet", "PhoneNumberSet is empty")
        if len(numbers) > 200:
            raise Refusal("LimitExceeded.PhoneNumberCountLimit", "more than 200 numbers")
        if not all(isinstance(n, str) for n in numbers) or len(set(numbers)) != len(numbers):
            raise Refusal("InvalidParameter", "PhoneNumberSet holds non-strings or repeats")
        template = body.get("TemplateId")
        if not template:
            raise Refusal("MissingParameter", "TemplateId is required")
        mainland = any(_MAINLAND.match(n) for n in numbers)
        if mainland and any(_INTERNATIONAL.match(n) for n in numbers):
            raise Refusal(
                "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
                "mainland China and international numbers in one call",
            )
        if template not in self.templates:
            raise Refusal("FailedOperation.TemplateIncorrectOrUnapproved", "template not approved")
        sign_name = body.get("SignName")
        if (mainland or sign_name is not None) and sign_name not in self.sign_names:
            raise Refusal("FailedOperation.SignatureIncorrectOrUnapproved", "signature unapproved")
        params = body.get("TemplateParamSet", [])
        if not all(isinstance(p, str) for p in params):
            raise Refusal("InvalidParameterValue.TemplateParameterFormatError", "not strings")
        if len(params) != self.templates[template]:
            raise Refusal(
                "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                f"the template takes {self.templates[template]} parameters, got {len(params)}",
            )
        session = body.get("SessionContext")
        if session is not None and len(session.encode()) >= 512:
            raise Refusal("InvalidParameterValue", "SessionContext must be under 512 bytes")
        verdicts = [(number, *self._judge(number)) for number in numbers]
        refused = [(code, message) for _, code, message in verdicts if code != "Ok"]
        if refused and self.refuse_whole_call:
            raise Refusal(*refused[0])
        statuses = []
        for number, code, message in verdicts:
            serial = f"5000:{next(self._serials):028d}"
            if code == "Ok":
                self.sent.append(Sms(number, sign_name, template, tuple(params), session, serial))
            statuses.append(
                {
                    "SerialNo": serial if code == "Ok" else "",
                    "PhoneNumber": number,
                    "Fee": 1 if code == "Ok" else 0,
                    "SessionContext": session or "",
                    "Code": code,
                    "Message": message,
                    "IsoCode": "CN" if _MAINLAND.match(number) else "DEF",
                }
            )
        return statuses

    def _judge(self, number: str) -> tuple[str, str]:
        if number in self.invalid_numbers or not (
            _MAINLAND.match(number) or _INTERNATIONAL.match(number)
        ):
            return "InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number"
        if number in self.limited_numbers:
            return "LimitExceeded.PhoneNumberDailyLimit", "daily limit for this number"
        return "Ok", "send success"

    def numbers_sent(self) -> list[str]:
        return [sms.number for sms in self.sent]


def _fault(name: str) -> Refusal:
    return {
        "throttle": Refusal("RequestLimitExceeded", "request frequency limit exceeded"),
        "internal": Refusal("InternalError", "internal error"),
        "app_daily": Refusal("LimitExceeded.AppDailyLimit", "the app's daily limit is reached"),
    }[name]


def _answer(response: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"Response": {**response, "RequestId": str(uuid.uuid4())}})
