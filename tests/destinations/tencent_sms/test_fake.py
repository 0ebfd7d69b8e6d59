"""The fake refuses what Tencent Cloud would refuse: one that accepts anything proves nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from junction.destinations.tencent_sms import authorization

from ...fakes.tencent_sms import FakeTencentSms
from .common import APP_ID, SECRET_ID, SECRET_KEY

URL = "https://sms.tencentcloudapi.com/"
CONTENT_TYPE = "application/json; charset=utf-8"
SMS: dict[str, Any] = {
    "PhoneNumberSet": ["+8613800138000"],
    "SmsSdkAppId": APP_ID,
    "TemplateId": "1111",
    "SignName": "Junction",
}


def post(
    fake: FakeTencentSms,
    payload: dict[str, Any],
    *,
    timestamp: int | None = None,
    key: str = SECRET_KEY,
    tamper: bool = False,
    **headers: str,
) -> dict[str, Any]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = authorization(
        SECRET_ID,
        key,
        timestamp=stamp,
        service="sms",
        content_type=CONTENT_TYPE,
        host="sms.tencentcloudapi.com",
        body=body,
    )
    sent = {
        "Content-Type": CONTENT_TYPE,
        "X-TC-Action": "SendSms",
        "X-TC-Version": "2021-01-11",
        "X-TC-Timestamp": str(stamp),
        "X-TC-Region": "ap-guangzhou",
        "Authorization": signed,
        **headers,
    }
    content = body.replace(b"138001", b"138009") if tamper else body
    with httpx.Client(transport=fake.transport()) as client:
        response = client.post(URL, content=content, headers=sent)
    assert response.status_code == 200
    return response.json()["Response"]


def error(answer: dict[str, Any]) -> str | None:
    return answer.get("Error", {}).get("Code")


def test_a_correctly_signed_send_is_accepted() -> None:
    fake = FakeTencentSms()
    answer = post(fake, SMS)
    assert [s["Code"] for s in answer["SendStatusSet"]] == ["Ok"]
    assert fake.numbers_sent() == ["+8613800138000"]


def test_signature_key_time_and_headers_are_verified() -> None:
    fake = FakeTencentSms()
    assert error(post(fake, SMS, tamper=True)) == "AuthFailure.SignatureFailure"
    assert error(post(fake, SMS, key="another-key")) == "AuthFailure.SignatureFailure"
    stale = int(time.time()) - 600
    assert error(post(fake, SMS, timestamp=stale)) == "AuthFailure.SignatureExpire"
    assert error(post(fake, SMS, **{"X-TC-Version": "2019-07-11"})) == "NoSuchVersion"
    assert error(post(fake, SMS, **{"X-TC-Region": ""})) == "MissingParameter"
    # The content type is signed: sending another one than was signed breaks it.
    assert error(post(fake, SMS, **{"Content-Type": "application/json"})) == (
        "AuthFailure.SignatureFailure"
    )
    assert fake.sent == []


def test_the_body_schema_and_caps_are_enforced() -> None:
    fake = FakeTencentSms()
    assert error(post(fake, {**SMS, "Extra": 1})) == "UnknownParameter"
    assert error(post(fake, {**SMS, "TemplateParamSet": "x"})) == "InvalidParameter"
    assert error(post(fake, {**SMS, "SmsSdkAppId": "1"})) == (
        "InvalidParameterValue.SdkAppIdNotExist"
    )
    many = [f"+86138{i:08d}" for i in range(201)]
    assert error(post(fake, {**SMS, "PhoneNumberSet": many})) == (
        "LimitExceeded.PhoneNumberCountLimit"
    )
    mixed = ["+8613800138000", "+85291234567"]
    assert error(post(fake, {**SMS, "PhoneNumberSet": mixed})) == (
        "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber"
    )
    assert error(post(fake, {**SMS, "SignName": "Other"})) == (
        "FailedOperation.SignatureIncorrectOrUnapproved"
    )
    assert error(post(fake, {**SMS, "TemplateId": "1110"})) == (
        "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
    )
    assert fake.sent == []


def test_badly_formed_numbers_fail_alone() -> None:
    fake = FakeTencentSms()
    answer = post(fake, {**SMS, "PhoneNumberSet": ["+8613800138000", "+86123"]})
    assert [s["Code"] for s in answer["SendStatusSet"]] == [
        "Ok",
        "InvalidParameterValue.IncorrectPhoneNumber",
    ]
    assert fake.numbers_sent() == ["+8613800138000"]
