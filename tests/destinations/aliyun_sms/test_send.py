"""Sending through the strict fake: batching, per-recipient results, and each failure."""

from __future__ import annotations

import json

import httpx
import pytest

from junction.destinations.aliyun_sms import AliyunSms, AliyunSmsConfig
from junction.plugins import (
    AuthFailed,
    BatchResult,
    ConfigInvalid,
    ConnectorContext,
    Message,
    RateLimited,
    Recipient,
    RecordStatus,
    Retryable,
)

from ...fakes.aliyun_sms import FakeAliyunSms
from .common import BAD, MESSAGE, SECRET, context, recipient


def statuses(result: BatchResult) -> dict[str, tuple[RecordStatus, str | None]]:
    return {r.key: (r.status, r.code) for r in result.results}


async def test_one_recipient_goes_through_sendsms_with_its_key_as_out_id() -> None:
    fake = FakeAliyunSms()
    result = await AliyunSms().send(context(fake), MESSAGE, [recipient("k1", "+8613800138000")])
    [only] = result.results
    assert (only.key, only.status) == ("k1", RecordStatus.ACCEPTED)
    assert only.platform_id and only.platform_id.endswith("^0")
    [(action, params)] = fake.calls
    assert action == "SendSms"
    assert params["PhoneNumbers"] == "13800138000"  # mainland: without +86
    assert params["OutId"] == "k1"
    assert json.loads(params["TemplateParam"]) == {"name": "Ada", "code": "1234"}
    assert [(s.number, s.sign_name, s.template) for s in fake.sent] == [
        ("13800138000", "Junction", "SMS_0001")
    ]


async def test_a_batch_goes_in_one_sendbatchsms_with_each_persons_params() -> None:
    fake = FakeAliyunSms()
    people = [
        recipient("k1", "+8613800138000", name="甲", code="1"),
        recipient("k2", "+85291234567", name="B", code="2"),  # international: no +
        recipient("k3", "+8613900139000", name="C", code="3"),
    ]
    result = await AliyunSms().send(context(fake), MESSAGE, people)
    assert {k: s for k, (s, _) in statuses(result).items()} == dict.fromkeys(
        ("k1", "k2", "k3"), RecordStatus.ACCEPTED
    )
    [(action, params)] = fake.calls
    assert action == "SendBatchSms"
    assert json.loads(params["PhoneNumberJson"]) == ["13800138000", "85291234567", "13900139000"]
    assert json.loads(params["SignNameJson"]) == ["Junction"] * 3
    assert [p["name"] for p in json.loads(params["TemplateParamJson"])] == ["甲", "B", "C"]
    assert result.received == 3


async def test_numbers_that_are_not_e164_are_rejected_without_a_call() -> None:
    fake = FakeAliyunSms()
    people = [
        recipient("k1", "13800138000"),
        recipient("k2", "+861380013800"),  # mainland, one digit short
        recipient("k3", "+8613800138000"),
        Recipient(key="k4", address={"email": "a@example.com"}),
    ]
    result = await AliyunSms().send(context(fake), MESSAGE, people)
    assert statuses(result) == {
        "k1": (RecordStatus.REJECTED, "invalid_phone"),
        "k2": (RecordStatus.REJECTED, "invalid_phone"),
        "k3": (RecordStatus.ACCEPTED, None),
        "k4": (RecordStatus.REJECTED, "no_phone"),
    }
    assert fake.numbers_sent() == ["13800138000"]
    assert "13800138000" not in (result.results[0].reason or "")  # numbers are masked


async def test_a_refused_batch_is_sent_one_by_one_to_find_the_bad_number() -> None:
    fake = FakeAliyunSms(invalid_numbers={"13900139000"}, limited_numbers={"13700137000"})
    people = [
        recipient("k1", "+8613800138000"),
        recipient("k2", "+8613900139000"),
        recipient("k3", "+8613700137000"),
        recipient("k4", "+8613600136000"),
    ]
    result = await AliyunSms().send(context(fake), MESSAGE, people)
    assert statuses(result) == {
        "k1": (RecordStatus.ACCEPTED, None),
        "k2": (RecordStatus.REJECTED, "isv.MOBILE_NUMBER_ILLEGAL"),
        "k3": (RecordStatus.RETRY, "isv.BUSINESS_LIMIT_CONTROL"),
        "k4": (RecordStatus.ACCEPTED, None),
    }
    assert [action for action, _ in fake.calls] == ["SendBatchSms"] + ["SendSms"] * 4
    assert sorted(fake.numbers_sent()) == ["13600136000", "13800138000"]  # each once


async def test_gateway_throttling_is_rate_limited_before_anything_went_out() -> None:
    fake = FakeAliyunSms()
    fake.faults.append("throttle")
    with pytest.raises(RateLimited) as caught:
        await AliyunSms().send(context(fake), MESSAGE, [recipient("k1", "+8613800138000")])
    assert caught.value.code == "Throttling.User"
    assert fake.sent == []
    # The engine's retry then goes through with a fresh nonce.
    result = await AliyunSms().send(context(fake), MESSAGE, [recipient("k1", "+8613800138000")])
    assert result.results[0].status is RecordStatus.ACCEPTED


async def test_a_failure_after_something_went_out_retries_only_the_rest() -> None:
    # Raising would make the engine resend the whole batch, k1 included.
    fake = FakeAliyunSms(invalid_numbers={"13900139000"})
    people = [
        recipient("k1", "+8613800138000"),
        recipient("k2", "+8613900139000"),
        recipient("k3", "+8613700137000"),
        recipient("k4", "+8613600136000"),
    ]
    # The batch is refused, k1 and k2 go one by one, then the gateway throttles k3.
    fake.faults.extend(["pass", "pass", "pass", "throttle"])
    result = await AliyunSms().send(context(fake), MESSAGE, people)
    assert statuses(result) == {
        "k1": (RecordStatus.ACCEPTED, None),
        "k2": (RecordStatus.REJECTED, "isv.MOBILE_NUMBER_ILLEGAL"),
        "k3": (RecordStatus.RETRY, "Throttling.User"),
        "k4": (RecordStatus.RETRY, "Throttling.User"),
    }
    assert fake.numbers_sent() == ["13800138000"]


async def test_the_account_cap_retries_everyone_later() -> None:
    fake = FakeAliyunSms()
    fake.faults.append("day_limit")
    people = [recipient("k1", "+8613800138000"), recipient("k2", "+8613900139000")]
    result = await AliyunSms().send(context(fake), MESSAGE, people)
    assert statuses(result) == {
        "k1": (RecordStatus.RETRY, "isv.DAY_LIMIT_CONTROL"),
        "k2": (RecordStatus.RETRY, "isv.DAY_LIMIT_CONTROL"),
    }


async def test_a_platform_error_answer_is_retryable() -> None:
    fake = FakeAliyunSms()
    fake.faults.append("system_error")
    with pytest.raises(Retryable) as caught:
        await AliyunSms().send(context(fake), MESSAGE, [recipient("k1", "+8613800138000")])
    assert caught.value.code == "isp.SYSTEM_ERROR"
    assert fake.sent == []


@pytest.mark.parametrize("fault", ["timeout", "500"])
async def test_a_send_with_no_clear_answer_is_unknown_never_resent(fault: str) -> None:
    fake = FakeAliyunSms()
    fake.faults.append(fault)
    people = [recipient("k1", "+8613800138000"), recipient("k2", "+8613900139000")]
    result = await AliyunSms().send(context(fake), MESSAGE, people)
    assert {r.status for r in result.results} == {RecordStatus.UNKNOWN}
    assert "may have been sent" in (result.results[0].reason or "")
    assert len(fake.sent) == 2 and len(fake.calls) == 1  # it went out, exactly once


async def test_a_timeout_leaves_later_batches_for_a_later_pass() -> None:
    fake = FakeAliyunSms(invalid_numbers={"13900139000"})
    fake.faults.extend(["pass", "timeout"])  # the batch is refused, then k1 times out
    people = [recipient("k1", "+8613800138000"), recipient("k2", "+8613900139000")]
    result = await AliyunSms().send(context(fake), MESSAGE, people)
    assert statuses(result) == {
        "k1": (RecordStatus.UNKNOWN, None),
        "k2": (RecordStatus.RETRY, None),
    }


async def test_a_refused_connection_is_retryable_and_sends_nothing() -> None:
    fake = FakeAliyunSms()
    fake.faults.append("refused")
    with pytest.raises(Retryable, match=r"could not reach dysmsapi\.aliyuncs\.com"):
        await AliyunSms().send(context(fake), MESSAGE, [recipient("k1", "+8613800138000")])
    assert fake.calls == []


async def test_wrong_credentials_fail_auth_without_revealing_the_secret() -> None:
    fake = FakeAliyunSms()
    ctx = context(fake, access_key_secret=BAD["access_key_secret"])
    with pytest.raises(AuthFailed) as caught:
        await AliyunSms().send(ctx, MESSAGE, [recipient("k1", "+8613800138000")])
    assert caught.value.code == "SignatureDoesNotMatch"
    assert BAD["access_key_secret"] not in str(caught.value)
    with pytest.raises(AuthFailed, match=r"InvalidAccessKeyId\.NotFound"):
        await AliyunSms().send(
            context(fake, access_key_id="LTAI5tSomeoneElse"),
            MESSAGE,
            [recipient("k1", "+8613800138000")],
        )
    assert fake.sent == []


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (Message(options={"sign_name": "Junction"}), "platform_template"),
        (Message(template="SMS 1", options={"sign_name": "Junction"}), "not an Aliyun template"),
        (Message(template="SMS_0001"), "no SMS signature"),
        (Message(template="SMS_0001", options={"sign": "Junction"}), "unknown field `sign`"),
        (
            Message(template="SMS_0001", options={"sign_name": "J", "sms_up_extend_code": "x"}),
            "sms_up_extend_code",
        ),
    ],
)
async def test_bad_message_settings_are_refused_before_any_call(
    message: Message, match: str
) -> None:
    fake = FakeAliyunSms()
    with pytest.raises(ConfigInvalid, match=match):
        await AliyunSms().send(context(fake), message, [recipient("k1", "+8613800138000")])
    assert fake.calls == []


async def test_the_connection_sign_name_is_the_default() -> None:
    fake = FakeAliyunSms()
    ctx = context(fake, sign_name="Junction")
    result = await AliyunSms().send(
        ctx, Message(template="SMS_0001"), [recipient("k1", "+8613800138000")]
    )
    assert result.results[0].status is RecordStatus.ACCEPTED


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (
            Message(template="SMS_9999", options={"sign_name": "Junction"}),
            "isv.SMS_TEMPLATE_ILLEGAL",
        ),
        (Message(template="SMS_0001", options={"sign_name": "Other"}), "isv.SMS_SIGN_ILLEGAL"),
    ],
)
async def test_an_unapproved_template_or_signature_stops_the_run(
    message: Message, code: str
) -> None:
    fake = FakeAliyunSms()
    with pytest.raises(ConfigInvalid, match=code):
        await AliyunSms().send(context(fake), message, [recipient("k1", "+8613800138000")])


async def test_missing_template_variables_stop_the_run() -> None:
    fake = FakeAliyunSms()
    lacking = recipient("k1", "+8613800138000", name="Ada")
    with pytest.raises(ConfigInvalid, match=r"isv\.TEMPLATE_MISSING_PARAMETERS"):
        await AliyunSms().send(context(fake), MESSAGE, [lacking])


async def test_check_probes_the_credentials_without_sending() -> None:
    fake = FakeAliyunSms()
    result = await AliyunSms().check(context(fake))
    assert result.ok, result.message
    assert fake.sent == []
    with pytest.raises(AuthFailed) as caught:
        await AliyunSms().check(context(fake, access_key_secret=BAD["access_key_secret"]))
    assert SECRET not in caught.value.message


async def test_check_reports_an_unreachable_endpoint() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    ctx = ConnectorContext(
        connection="sms",
        config=AliyunSmsConfig(access_key_id="LTAI5tX", access_key_secret=SECRET),
        transport=httpx.MockTransport(refuse),
    )
    result = await AliyunSms().check(ctx)
    assert not result.ok and "could not reach" in result.message


async def test_a_batch_larger_than_the_cap_is_split_into_calls_of_100() -> None:
    # A sync's batch_size may exceed the declared limit; SendBatchSms takes 100 at most.
    fake = FakeAliyunSms()
    people = [recipient(f"k{i}", f"+861380000{i:04d}") for i in range(150)]
    result = await AliyunSms().send(context(fake), MESSAGE, people)
    assert {r.status for r in result.results} == {RecordStatus.ACCEPTED}
    assert [len(json.loads(p["PhoneNumberJson"])) for _, p in fake.calls] == [100, 50]
