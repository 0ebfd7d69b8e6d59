"""The V2 (HMAC-SHA1) signature against the published vectors of the spec."""

from __future__ import annotations

from urllib.parse import parse_qsl

from junction.destinations.aliyun_sms.signing import (
    percent_encode,
    sign,
    signed_body,
    string_to_sign,
)

from ...fakes.aliyun_sms import signature as gateway_signature

VECTOR_1 = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}
VECTOR_2 = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def test_vector_1_string_to_sign_and_signature() -> None:
    assert string_to_sign("GET", VECTOR_1) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z"
        "%26Version%3D2014-05-26"
    )
    assert sign("testsecret", "GET", VECTOR_1) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_vector_2_sendsms_with_a_chinese_sign_name() -> None:
    assert sign("testSecret", "GET", VECTOR_2) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_the_fakes_gateway_agrees_with_the_vectors() -> None:
    # The fake checks signatures with its own encoder: it must agree with the platform.
    assert gateway_signature("testsecret", "GET", VECTOR_1) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert gateway_signature("testSecret", "GET", VECTOR_2) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_percent_encoding_follows_rfc_3986_not_form_encoding() -> None:
    assert percent_encode("a b*c~d/e+f") == "a%20b%2Ac~d%2Fe%2Bf"
    assert percent_encode("签") == "%E7%AD%BE"


def test_the_post_body_carries_the_signature_last_and_round_trips() -> None:
    body = signed_body("testSecret", VECTOR_2).decode()
    assert body.startswith("AccessKeyId=testId&Action=SendSms&")
    pairs = parse_qsl(body, strict_parsing=True)
    assert pairs[-1][0] == "Signature"
    assert dict(pairs[:-1]) == VECTOR_2
    assert pairs[-1][1] == sign("testSecret", "POST", VECTOR_2)
