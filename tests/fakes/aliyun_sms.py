"""A strict fake of Aliyun SMS (dysmsapi 2017-05-25), with fault injection.

It enforces shared/platforms/aliyun-sms.md the way the gateway and the SMS service
would, in their order:

1. the gateway: every common parameter present and well-formed (``Format=JSON``,
   ``HMAC-SHA1``, ``1.0``, version ``2017-05-25``), a known AccessKeyId
   (``InvalidAccessKeyId.NotFound``), a ``Timestamp`` within 15 minutes
   (``InvalidTimeStamp.Expired``), a ``Signature`` equal to the one it recomputes from
   the received parameters with the secret (``SignatureDoesNotMatch``; its own encoder,
   independent of the plugin's), a fresh ``SignatureNonce`` (``SignatureNonceUsed``),
   and no parameter the API does not document;
2. the service: required parameters (``MissingPhoneNumbers``...), numbers in Aliyun's
   forms (mainland 11 digits with or without 86 / +86 / 0086, international country
   code + number without ``+``; else ``isv.MOBILE_NUMBER_ILLEGAL``), at most 1000
   (SendSms) or 100 (SendBatchSms) numbers, JSON arrays of equal length, an approved
   signature and template, and every variable the template declares.

Faults, consumed one per send call in order (``fake.faults.append("throttle")``):
``pass`` (no fault: lets a call through), ``throttle`` (HTTP 400 ``Throttling.User``),
``system_error`` (``isp.SYSTEM_ERROR``), ``day_limit`` (``isv.DAY_LIMIT_CONTROL``),
``500`` (a gateway error whose effect is unknown: the SMS is sent), ``timeout`` (sent,
then no answer), ``refused`` (no connection: nothing sent). Numbers in
``invalid_numbers`` are refused as illegal, those in ``limited_numbers`` hit
``isv.BUSINESS_LIMIT_CONTROL``; a batch holding one of them is refused whole, as the
platform answers with one code per call.
"""

from __future__ import annotations

import base64
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
from urllib.parse import parse_qsl

import httpx

HOST = "dysmsapi.aliyuncs.com"
COMMON = (
    "AccessKeyId",
    "Action",
    "Format",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "Timestamp",
    "Version",
)
OPTIONAL_COMMON = ("RegionId",)
SEND_SMS = {
    "required": ("PhoneNumbers", "SignName", "TemplateCode"),
    "optional": ("TemplateParam", "SmsUpExtendCode", "OutId"),
}
SEND_BATCH_SMS = {
    "required": ("PhoneNumberJson", "SignNameJson", "TemplateCode"),
    "optional": ("TemplateParamJson", "SmsUpExtendCodeJson", "OutId"),
}
ACTIONS = {"SendSms": SEND_SMS, "SendBatchSms": SEND_BATCH_SMS}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_MAINLAND = re.compile(r"^(?:\+86|0086|86)?(1\d{10})$")
_INTERNATIONAL = re.compile(r"^(?!86)[1-9]\d{7,14}$")
_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"


def encode(text: str) -> str:
    """RFC 3986 percent-encoding, byte by byte, as the gateway does it."""
    out = []
    for char in text:
        if char in _UNRESERVED:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)


def signature(secret: str, method: str, params: dict[str, str]) -> str:
    """The signature the gateway expects for ``params`` (``Signature`` excluded)."""
    query = "&".join(
        f"{k}={v}" for k, v in sorted((encode(k), encode(v)) for k, v in params.items())
    )
    text = f"{method}&{encode('/')}&{encode(query)}"
    mac = hmac.new(f"{secret}&".encode(), text.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


class Refusal(Exception):
    """The platform's answer to a refused request."""

    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(code)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class Sms:
    """One SMS the platform accepted to deliver."""

    number: str
    sign_name: str
    template: str
    params: dict[str, str]
    out_id: str | None
    biz_id: str


@dataclass
class FakeAliyunSms:
    access_key_id: str = "LTAI5tJunctionFake01"
    access_key_secret: str = "aliyun-secret-0123456789"
    sign_names: frozenset[str] = frozenset({"Junction"})
    #: Approved templates and the variables each declares.
    templates: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"SMS_0001": ("name", "code"), "SMS_0002": ()}
    )
    tolerance: float = 15 * 60
    invalid_numbers: set[str] = field(default_factory=set)
    limited_numbers: set[str] = field(default_factory=set)
    faults: deque[str] = field(default_factory=deque)
    sent: list[Sms] = field(default_factory=list)
    #: Every request that passed the gateway: (Action, its business parameters).
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        try:
            params = self._gateway(request)
            action = params.pop("Action")
            fault = self.faults.popleft() if self.faults and params else None
            if fault == "refused":
                raise httpx.ConnectError("connection refused", request=request)
            self.calls.append((action, params))
            if fault is not None and fault not in ("pass", "500", "timeout"):
                raise _fault(fault)
            biz_id = self._send(action, params)
        except Refusal as refusal:
            return _answer(refusal.status, {"Code": refusal.code, "Message": refusal.message})
        if fault == "timeout":
            raise httpx.ReadTimeout("no answer", request=request)
        if fault == "500":
            return _answer(
                500,
                {
                    "Code": "InternalError",
                    "Message": "The request processing has failed due to some unknown error.",
                },
            )
        return _answer(200, {"Code": "OK", "Message": "OK", "BizId": biz_id})

    # --- the gateway ----------------------------------------------------------------

    def _gateway(self, request: httpx.Request) -> dict[str, str]:
        if request.url.host != HOST or request.url.path != "/":
            raise Refusal("InvalidAction.NotFound", "no such endpoint", 404)
        if request.method == "POST":
            if request.headers.get("content-type") != "application/x-www-form-urlencoded":
                raise Refusal("InvalidParameter", "a POST must be a form", 400)
            raw = request.content.decode("ascii")
        else:
            raw = request.url.query.decode("ascii")
        if "+" in raw:
            raise Refusal("SignatureDoesNotMatch", "'+' is not RFC 3986 encoding", 400)
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
        params = dict(pairs)
        if len(params) != len(pairs):
            raise Refusal("InvalidParameter", "a parameter is repeated", 400)
        for name in (*COMMON, "Signature"):
            if not params.get(name):
                raise Refusal(f"Missing{name}", f"{name} is mandatory for this action.", 400)
        expected = {"Format": "JSON", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0"}
        for name, value in {**expected, "Version": "2017-05-25"}.items():
            if params[name] != value:
                raise Refusal(f"InvalidParameter.{name}", f"{name} must be {value}", 400)
        if params["AccessKeyId"] != self.access_key_id:
            raise Refusal("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        try:
            stamp = datetime.strptime(params["Timestamp"], _TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            raise Refusal(
                "InvalidTimeStamp.Format", "Timestamp is not yyyy-MM-ddTHH:mm:ssZ", 400
            ) from None
        if abs(stamp.timestamp() - time.time()) > self.tolerance:
            raise Refusal(
                "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400
            )
        given = params.pop("Signature")
        if not hmac.compare_digest(
            given, signature(self.access_key_secret, request.method, params)
        ):
            raise Refusal(
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
                400,
            )
        if params["SignatureNonce"] in self.nonces:
            raise Refusal("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
        self.nonces.add(params["SignatureNonce"])
        action = params["Action"]
        if action not in ACTIONS:
            raise Refusal("InvalidAction.NotFound", f"{action} is not an action of dysmsapi", 404)
        business = {k: v for k, v in params.items() if k not in (*COMMON, *OPTIONAL_COMMON)}
        allowed = (*ACTIONS[action]["required"], *ACTIONS[action]["optional"])
        for name in business:
            if name not in allowed:
                raise Refusal("InvalidParameter", f"{name} is not a parameter of {action}", 400)
        return {"Action": action, **business}

    # --- the SMS service ------------------------------------------------------------

    def _send(self, action: str, params: dict[str, str]) -> str:
        for name in ACTIONS[action]["required"]:
            if not params.get(name):
                raise Refusal(f"Missing{name}", f"{name} is mandatory for this action.", 400)
        out_id = params.get("OutId")
        if out_id is not None and len(out_id) >= 256:
            raise Refusal("isv.INVALID_PARAMETERS", "OutId must be shorter than 256", 200)
        template = params["TemplateCode"]
        if action == "SendSms":
            numbers = params["PhoneNumbers"].split(",")
            if len(numbers) > 1000:
                raise Refusal("isv.MOBILE_COUNT_OVER_LIMIT", "more than 1000 numbers")
            signs = [params["SignName"]] * len(numbers)
            one = _object(params["TemplateParam"]) if "TemplateParam" in params else {}
            variables = [one] * len(numbers)
        else:
            numbers = _array(params["PhoneNumberJson"], str)
            if len(numbers) > 100:
                raise Refusal("isv.MOBILE_COUNT_OVER_LIMIT", "more than 100 numbers")
            signs = _array(params["SignNameJson"], str)
            variables = (
                _array(params["TemplateParamJson"], dict)
                if "TemplateParamJson" in params
                else [{}] * len(numbers)
            )
            if "SmsUpExtendCodeJson" in params:
                _array(params["SmsUpExtendCodeJson"], str, len(numbers))
            if not (len(signs) == len(variables) == len(numbers)):
                raise Refusal("isv.INVALID_PARAMETERS", "the JSON arrays differ in length")
        for sign_name in signs:
            if sign_name not in self.sign_names:
                raise Refusal("isv.SMS_SIGN_ILLEGAL", f"signature {sign_name!r} is not approved")
        if template not in self.templates:
            raise Refusal("isv.SMS_TEMPLATE_ILLEGAL", f"template {template} is not approved")
        for values in variables:
            if not all(isinstance(v, str) for v in values.values()):
                raise Refusal("isv.INVALID_JSON_PARAM", "template variables must be strings")
            missing = [name for name in self.templates[template] if name not in values]
            if missing:
                raise Refusal("isv.TEMPLATE_MISSING_PARAMETERS", f"missing {', '.join(missing)}")
        for number in numbers:
            if number in self.invalid_numbers or not (
                _MAINLAND.match(number) or _INTERNATIONAL.match(number)
            ):
                raise Refusal("isv.MOBILE_NUMBER_ILLEGAL", f"illegal number {number!r}")
            if number in self.limited_numbers:
                raise Refusal("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10")
        biz_id = f"{900619746936498 + next(self._ids)}^0"
        for number, sign_name, values in zip(numbers, signs, variables, strict=True):
            self.sent.append(Sms(number, sign_name, template, dict(values), out_id, biz_id))
        return biz_id

    def numbers_sent(self) -> list[str]:
        return [sms.number for sms in self.sent]


def _fault(name: str) -> Refusal:
    if name == "throttle":
        return Refusal("Throttling.User", "Request was denied due to user flow control.", 400)
    if name == "system_error":
        return Refusal("isp.SYSTEM_ERROR", "The system is busy.")
    if name == "day_limit":
        return Refusal("isv.DAY_LIMIT_CONTROL", "触发日发送限额")
    raise ValueError(f"unknown fault {name!r}")


def _object(text: str) -> dict[str, Any]:
    value = _json(text)
    if not isinstance(value, dict):
        raise Refusal("isv.INVALID_JSON_PARAM", "TemplateParam must be a JSON object")
    return value


def _array(text: str, kind: type, length: int | None = None) -> list[Any]:
    value = _json(text)
    if not isinstance(value, list) or not all(isinstance(item, kind) for item in value):
        raise Refusal("isv.INVALID_JSON_PARAM", f"expected a JSON array of {kind.__name__}")
    if length is not None and len(value) != length:
        raise Refusal("isv.INVALID_PARAMETERS", "the JSON arrays differ in length")
    return value


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise Refusal("isv.INVALID_JSON_PARAM", "not valid JSON") from None


def _answer(status: int, body: dict[str, Any]) -> httpx.Response:
    body = {**body, "RequestId": str(uuid.uuid4()).upper()}
    if status >= 400:
        body["HostId"] = HOST
    return httpx.Response(status, json=body)
