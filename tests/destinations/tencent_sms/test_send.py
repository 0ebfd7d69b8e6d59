"""Sending through the strict fake: grouping, per-number results, and each failure."""

from __future__ import annotations

import httpx
import pytest

from junction.destinations.tencent_sms import TencentSms, TencentSmsConfig
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

from ...fakes.tencent_sms import FakeTencentSms
from .common import APP_ID, BAD, MESSAGE, SECRET_KEY, VALID, context, recipient


def statuses(result: BatchResult) -> dict[str, tuple[RecordStatus, str | None]]:
    return {r.key: (r.status, r.code) for r in result.results}


async def test_one_recipient_is_sent_with_its_key_as_session_context() -> None:
    fake = FakeTencentSms()
    result = await TencentSms().send(context(fake), MESSAGE, [recipient("k1", "+8613800138000")])
    [only] = result.results
    assert (only.key, only.status) == ("k1", RecordStatus.ACCEPTED)
    assert only.platform_id and only.platform_id.startswith("5000:")
    [body] = fake.calls
    assert body == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": APP_ID,
        "TemplateId": "1110",
        "TemplateParamSet": ["Ada", "1234"],  # in options.param_order
        "SignName": "Junction",
        "SessionContext": "k1",
    }


async def test_recipients_sharing_params_share_a_call_per_region() -> None:
    fake = FakeTencentSms()
    same = {"name": "all", "code": "0"}
    people = [
        recipient("k1", "+8613800138000", **same),
        recipient("k2", "+8613900139000", **same),
        recipient("k3", "+85291234567", **same),  # abroad: a call of its own
        recipient("k4", "+8613700137000", name="B", code="1"),  # other params: likewise
    ]
    result = await TencentSms().send(context(fake), MESSAGE, people)
    assert {s for s, _ in statuses(result).values()} == {RecordStatus.ACCEPTED}
    assert sorted(tuple(body["PhoneNumberSet"]) for body in fake.calls) == [
        ("+85291234567",),
        ("+8613700137000",),
        ("+8613800138000", "+8613900139000"),
    ]
    shared = next(body for body in fake.calls if len(body["PhoneNumberSet"]) == 2)
    assert "SessionContext" not in shared  # one context per call: only for single sends


async def test_numeric_variable_names_follow_the_placeholders() -> None:
    fake = FakeTencentSms()
    message = Message(template="1110", options={"sign_name": "Junction"})
    people = [Recipient(key="k1", address={"phone": "+8613800138000"}, params={"2": "b", "1": "a"})]
    await TencentSms().send(context(fake), message, people)
    assert fake.calls[0]["TemplateParamSet"] == ["a", "b"]


async def test_per_number_statuses_become_per_recipient_results() -> None:
    fake = FakeTencentSms(invalid_numbers={"+8613900139000"}, limited_numbers={"+8613700137000"})
    same = {"name": "all", "code": "0"}
    people = [
        recipient("k1", "+8613800138000", **same),
        recipient("k2", "+8613900139000", **same),
        recipient("k3", "+8613700137000", **same),
        recipient("k4", "+86123", **same),  # not a mainland number: never sent
    ]
    result = await TencentSms().send(context(fake), MESSAGE, people)
    assert statuses(result) == {
        "k1": (RecordStatus.ACCEPTED, None),
        "k2": (RecordStatus.REJECTED, "InvalidParameterValue.IncorrectPhoneNumber"),
        "k3": (RecordStatus.RETRY, "LimitExceeded.PhoneNumberDailyLimit"),
        "k4": (RecordStatus.REJECTED, "invalid_phone"),
    }
    assert len(fake.calls) == 1
    assert fake.numbers_sent() == ["+8613800138000"]


async def test_a_call_refused_for_one_number_is_sent_one_by_one() -> None:
    fake = FakeTencentSms(invalid_numbers={"+8613900139000"}, refuse_whole_call=True)
    same = {"name": "all", "code": "0"}
    people = [recipient(f"k{i}", f"+86138001380{i:02d}", **same) for i in range(3)]
    people.append(recipient("bad", "+8613900139000", **same))
    result = await TencentSms().send(context(fake), MESSAGE, people)
    assert statuses(result)["bad"] == (
        RecordStatus.REJECTED,
        "InvalidParameterValue.IncorrectPhoneNumber",
    )
    assert [statuses(result)[f"k{i}"][0] for i in range(3)] == [RecordStatus.ACCEPTED] * 3
    assert [len(body["PhoneNumberSet"]) for body in fake.calls] == [4, 1, 1, 1, 1]
    assert sorted(fake.numbers_sent()) == [f"+86138001380{i:02d}" for i in range(3)]


async def test_throttling_before_anything_went_out_is_rate_limited() -> None:
    fake = FakeTencentSms()
    fake.faults.append("throttle")
    with pytest.raises(RateLimited) as caught:
        await TencentSms().send(context(fake), MESSAGE, [recipient("k1", "+8613800138000")])
    assert caught.value.code == "RequestLimitExceeded"
    assert fake.sent == []


async def test_a_failure_after_something_went_out_retries_only_the_rest() -> None:
    fake = FakeTencentSms()
    fake.faults.extend(["pass", "internal"])
    people = [
        recipient("k1", "+8613800138000", name="A", code="1"),
        recipient("k2", "+8613900139000", name="B", code="2"),
        recipient("k3", "+8613700137000", name="C", code="3"),
    ]
    result = await TencentSms().send(context(fake), MESSAGE, people)
    assert statuses(result) == {
        "k1": (RecordStatus.ACCEPTED, None),
        "k2": (RecordStatus.RETRY, "InternalError"),
        "k3": (RecordStatus.RETRY, "InternalError"),
    }
    assert fake.numbers_sent() == ["+8613800138000"]


async def test_the_apps_daily_cap_retries_everyone_later() -> None:
    fake = FakeTencentSms()
    fake.faults.append("app_daily")
    people = [
        recipient("k1", "+8613800138000", name="A", code="1"),
        recipient("k2", "+8613900139000", name="B", code="2"),
    ]
    result = await TencentSms().send(context(fake), MESSAGE, people)
    assert statuses(result) == {
        "k1": (RecordStatus.RETRY, "LimitExceeded.AppDailyLimit"),
        "k2": (RecordStatus.RETRY, "LimitExceeded.AppDailyLimit"),
    }
    assert len(fake.calls) == 1


async def test_an_internal_error_is_retryable() -> None:
    fake = FakeTencentSms()
    fake.faults.append("internal")
    with pytest.raises(Retryable) as caught:
        await TencentSms().send(context(fake), MESSAGE, [recipient("k1", "+8613800138000")])
    assert caught.value.code == "InternalError"


@pytest.mark.parametrize("fault", ["timeout", "502", "internal_timeout"])
async def test_a_send_with_no_clear_answer_is_unknown_never_resent(fault: str) -> None:
    fake = FakeTencentSms()
    fake.faults.append(fault)
    same = {"name": "all", "code": "0"}
    people = [
        recipient("k1", "+8613800138000", **same),
        recipient("k2", "+8613900139000", **same),
    ]
    result = await TencentSms().send(context(fake), MESSAGE, people)
    assert {r.status for r in result.results} == {RecordStatus.UNKNOWN}
    assert "may have been sent" in (result.results[0].reason or "")
    assert len(fake.sent) == 2 and len(fake.calls) == 1


async def test_a_refused_connection_is_retryable_and_sends_nothing() -> None:
    fake = FakeTencentSms()
    fake.faults.append("refused")
    with pytest.raises(Retryable, match=r"could not reach sms\.tencentcloudapi\.com"):
        await TencentSms().send(context(fake), MESSAGE, [recipient("k1", "+8613800138000")])
    assert fake.calls == []


async def test_wrong_credentials_fail_auth_without_revealing_the_secret() -> None:
    fake = FakeTencentSms()
    with pytest.raises(AuthFailed) as caught:
        await TencentSms().send(
            context(fake, secret_key=BAD["secret_key"]),
            MESSAGE,
            [recipient("k1", "+8613800138000")],
        )
    assert caught.value.code == "AuthFailure.SignatureFailure"
    assert BAD["secret_key"] not in str(caught.value)
    with pytest.raises(AuthFailed, match="SecretIdNotFound"):
        await TencentSms().send(
            context(fake, secret_id="AKIDsomeoneelse"), MESSAGE, [recipient("k1", "+8613800138000")]
        )
    assert fake.sent == []


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (Message(options={"sign_name": "Junction"}), "platform_template"),
        (Message(template="SMS_1", options={"sign_name": "J"}), "not a Tencent template id"),
        (Message(template="1110"), "need an SMS signature"),
        (Message(template="1110", options={"sign": "J"}), "unknown field `sign`"),
        (
            Message(template="1110", options={"sign_name": "J", "param_order": ["a", "a"]}),
            "twice",
        ),
        (
            Message(template="1110", options={"sign_name": "J", "param_order": ["name"]}),
            "code are not in options.param_order",
        ),
    ],
)
async def test_bad_message_settings_are_refused_before_any_call(
    message: Message, match: str
) -> None:
    fake = FakeTencentSms()
    with pytest.raises(ConfigInvalid, match=match):
        await TencentSms().send(context(fake), message, [recipient("k1", "+8613800138000")])
    assert fake.calls == []


async def test_a_recipient_lacking_an_ordered_variable_is_rejected_alone() -> None:
    fake = FakeTencentSms()
    people = [recipient("k1", "+8613800138000"), recipient("k2", "+8613900139000", name="B")]
    result = await TencentSms().send(context(fake), MESSAGE, people)
    assert statuses(result) == {
        "k1": (RecordStatus.ACCEPTED, None),
        "k2": (RecordStatus.REJECTED, "missing_param"),
    }


async def test_international_numbers_need_no_signature() -> None:
    fake = FakeTencentSms()
    message = Message(template="1110", options={"param_order": ["name", "code"]})
    result = await TencentSms().send(context(fake), message, [recipient("k1", "+85291234567")])
    assert result.results[0].status is RecordStatus.ACCEPTED
    assert "SignName" not in fake.calls[0]


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (Message(template="9999", options={"sign_name": "Junction"}), "TemplateIncorrect"),
        (Message(template="1110", options={"sign_name": "Other"}), "SignatureIncorrect"),
        (Message(template="1111", options={"sign_name": "Junction"}), "TemplateParamSetNotMatch"),
    ],
)
async def test_an_unapproved_setup_stops_the_run(message: Message, code: str) -> None:
    fake = FakeTencentSms()
    with pytest.raises(ConfigInvalid, match=code):
        await TencentSms().send(context(fake), message, [recipient("k1", "+8613800138000")])


async def test_check_probes_the_credentials_and_app_without_sending() -> None:
    fake = FakeTencentSms()
    result = await TencentSms().check(context(fake))
    assert result.ok, result.message
    assert fake.sent == []
    wrong_app = await TencentSms().check(context(fake, sms_sdk_app_id="1400000000"))
    assert not wrong_app.ok and "SdkAppIdNotExist" in wrong_app.message
    with pytest.raises(AuthFailed) as caught:
        await TencentSms().check(context(fake, secret_key=BAD["secret_key"]))
    assert SECRET_KEY not in caught.value.message


async def test_check_reports_an_unreachable_endpoint() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    ctx = ConnectorContext(
        connection="sms",
        config=TencentSmsConfig(**VALID),
        transport=httpx.MockTransport(refuse),
    )
    result = await TencentSms().check(ctx)
    assert not result.ok and "could not reach" in result.message


async def test_shared_values_go_in_calls_of_at_most_200_numbers() -> None:
    fake = FakeTencentSms()
    same = {"name": "all", "code": "0"}
    people = [recipient(f"k{i}", f"+861380000{i:04d}", **same) for i in range(250)]
    people.append(recipient("again", "+8613800000000", **same))  # the same number twice
    result = await TencentSms().send(context(fake), MESSAGE, people)
    assert {r.status for r in result.results} == {RecordStatus.ACCEPTED}
    assert [len(body["PhoneNumberSet"]) for body in fake.calls] == [200, 51]
