"""The fake refuses what Aliyun would refuse: a fake that accepts anything proves nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx

from junction.destinations.aliyun_sms.signing import signed_body

from ...fakes.aliyun_sms import FakeAliyunSms
from .common import KEY_ID, SECRET

URL = "https://dysmsapi.aliyuncs.com/"


def params(**business: str) -> dict[str, str]:
    return {
        "AccessKeyId": KEY_ID,
        "Action": "SendSms",
        "Format": "JSON",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": business.pop("nonce", "n-1"),
        "SignatureVersion": "1.0",
        "Timestamp": business.pop("at", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
        "Version": "2017-05-25",
        **business,
    }


SMS = {"PhoneNumbers": "13800138000", "SignName": "Junction", "TemplateCode": "SMS_0002"}


def post(fake: FakeAliyunSms, body: bytes) -> tuple[int, dict[str, str]]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    with httpx.Client(transport=fake.transport()) as client:
        response = client.post(URL, content=body, headers=headers)
    return response.status_code, response.json()


def test_a_correctly_signed_send_is_accepted() -> None:
    fake = FakeAliyunSms()
    status, body = post(fake, signed_body(SECRET, params(**SMS)))
    assert (status, body["Code"]) == (200, "OK")
    assert fake.numbers_sent() == ["13800138000"]


def test_a_tampered_or_wrongly_keyed_request_fails_the_signature() -> None:
    fake = FakeAliyunSms()
    body = signed_body(SECRET, params(**SMS)).replace(b"13800138000", b"13800138001")
    status, answer = post(fake, body)
    assert (status, answer["Code"]) == (400, "SignatureDoesNotMatch")
    status, answer = post(fake, signed_body("another-secret", params(**SMS, nonce="n-2")))
    assert (status, answer["Code"]) == (400, "SignatureDoesNotMatch")
    assert fake.sent == []


def test_a_replayed_nonce_and_a_stale_timestamp_are_refused() -> None:
    fake = FakeAliyunSms()
    body = signed_body(SECRET, params(**SMS))
    assert post(fake, body)[1]["Code"] == "OK"
    assert post(fake, body)[1]["Code"] == "SignatureNonceUsed"
    old = (datetime.now(UTC) - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert post(fake, signed_body(SECRET, params(**SMS, at=old, nonce="n-3")))[1]["Code"] == (
        "InvalidTimeStamp.Expired"
    )


def test_numbers_caps_and_parameters_follow_the_contract() -> None:
    fake = FakeAliyunSms()

    def code(nonce: str, **business: str) -> str:
        return post(fake, signed_body(SECRET, params(**business, nonce=nonce)))[1]["Code"]

    assert code("a", **{**SMS, "PhoneNumbers": "+85291234567"}) == "isv.MOBILE_NUMBER_ILLEGAL"
    assert code("b", **{**SMS, "PhoneNumbers": "+8613800138000"}) == "OK"  # +86 is documented
    assert code("c", **{**SMS, "Unknown": "1"}) == "InvalidParameter"
    assert code("d", **{**SMS, "TemplateCode": "SMS_0001"}) == "isv.TEMPLATE_MISSING_PARAMETERS"
    batch = {
        "Action": "SendBatchSms",
        "PhoneNumberJson": json.dumps(["13800138000"] * 101),
        "SignNameJson": json.dumps(["Junction"] * 101),
        "TemplateCode": "SMS_0002",
    }
    assert code("e", **batch) == "isv.MOBILE_COUNT_OVER_LIMIT"
    uneven = {**batch, "PhoneNumberJson": json.dumps(["13800138000"] * 2)}
    assert code("f", **uneven) == "isv.INVALID_PARAMETERS"
    assert code("g", PhoneNumbers="13800138000") == "MissingSignName"
