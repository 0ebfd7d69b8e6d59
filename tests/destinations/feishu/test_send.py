"""App messages: one call per recipient, tokens, per-recipient outcomes and faults."""

from __future__ import annotations

import json

import msgspec
import pytest

from junction.destinations.feishu import Feishu, FeishuConfig
from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    Content,
    Message,
    RateLimited,
    RecordStatus,
)

from ...fakes.feishu import FakeFeishu
from .common import APP, APP_SECRET, BOT, context, recipient


def statuses(result: object) -> dict[str, str]:
    return {r.key: r.status.value for r in result.results}  # type: ignore[attr-defined]


async def test_each_recipient_gets_their_own_text_with_a_uuid() -> None:
    fake = FakeFeishu()
    people = [
        recipient("k1", "Hi Ada", user_id="u-ada"),
        recipient("k2", "Hi Grace", user_id="u-grace"),
    ]
    result = await Feishu().send(context(fake), Message(), people)
    assert statuses(result) == {"k1": "accepted", "k2": "accepted"}
    assert {(m.receive_id, m.content["text"]) for m in fake.delivered} == {
        ("u-ada", "Hi Ada"),
        ("u-grace", "Hi Grace"),
    }
    assert all(r.platform_id and r.platform_id.startswith("om_") for r in result.results)


async def test_user_id_is_preferred_then_email_unless_the_options_choose() -> None:
    fake = FakeFeishu()
    people = [
        recipient("both", user_id="u-ada", email="ada@example.com"),
        recipient("mail", email="grace@example.com"),
        recipient("none", phone="+8613800138000"),
    ]
    result = await Feishu().send(context(fake), Message(), people)
    assert statuses(result) == {"both": "accepted", "mail": "accepted", "none": "rejected"}
    assert [(m.receive_id_type, m.receive_id) for m in fake.delivered] == [
        ("user_id", "u-ada"),
        ("email", "grace@example.com"),
    ]
    fake.delivered.clear()
    by_email = Message(options={"receive_id_type": "email"})
    await Feishu().send(
        context(fake), by_email, [recipient("again", user_id="u-ada", email="ada@example.com")]
    )
    assert [m.receive_id_type for m in fake.delivered] == ["email"]


async def test_people_outside_the_apps_scope_are_rejected_the_rest_accepted() -> None:
    fake = FakeFeishu()
    people = [
        recipient("ok", user_id="u-ada"),
        recipient("out", user_id="u-stranger"),
        recipient("ok2", user_id="u-grace"),
    ]
    result = await Feishu().send(context(fake), Message(), people)
    assert statuses(result) == {"ok": "accepted", "out": "rejected", "ok2": "accepted"}
    assert result.results[1].code == "230013" and result.invalid == 1


async def test_post_messages_carry_the_subject_as_title() -> None:
    fake = FakeFeishu()
    message = Message(
        content=Content(subject="双十一", text="全场五折\n今晚开始"), options={"msg_type": "post"}
    )
    # No content of their own: the message's shared content is sent.
    people = [msgspec.structs.replace(recipient("k", user_id="u-ada"), content=None)]
    await Feishu().send(context(fake), message, people)
    [sent] = fake.delivered
    assert sent.msg_type == "post"
    assert sent.content["zh_cn"]["title"] == "双十一"
    assert sent.content["zh_cn"]["content"] == [
        [{"tag": "text", "text": "全场五折"}],
        [{"tag": "text", "text": "今晚开始"}],
    ]


async def test_the_token_is_cached_and_refreshed_when_refused_mid_batch() -> None:
    fake = FakeFeishu()
    connector, ctx = Feishu(), context(fake, {**APP, "concurrency": 1})
    people = [recipient(f"k{i}", user_id=u) for i, u in enumerate(["u-ada", "u-grace", "u-alan"])]
    fake.send_faults.extend([None, "expire"])  # type: ignore[list-item]
    result = await connector.send(ctx, Message(), people)
    assert set(statuses(result).values()) == {"accepted"}
    assert fake.tokens_issued == 2
    await connector.send(ctx, Message(), people[:1])
    assert fake.tokens_issued == 2


async def test_concurrency_is_bounded() -> None:
    fake = FakeFeishu(users={"user_id": {f"u{i}" for i in range(30)}})
    people = [recipient(f"k{i}", user_id=f"u{i}") for i in range(30)]
    result = await Feishu().send(context(fake, {**APP, "concurrency": 3}), Message(), people)
    assert set(statuses(result).values()) == {"accepted"}
    assert 1 < fake.max_in_flight <= 3


async def test_rate_limits_on_later_calls_are_retried_per_recipient() -> None:
    fake = FakeFeishu()
    people = [recipient(f"k{i}", user_id=u) for i, u in enumerate(["u-ada", "u-grace", "u-alan"])]
    fake.send_faults.extend([None, "chat_limit", "throttle"])  # type: ignore[list-item]
    result = await Feishu().send(context(fake, {**APP, "concurrency": 1}), Message(), people)
    assert statuses(result) == {"k0": "accepted", "k1": "retry", "k2": "retry"}
    assert result.results[1].code == "230020"
    assert result.results[2].code == "99991400"


async def test_a_throttled_first_call_fails_the_batch_before_anything_went_out() -> None:
    fake = FakeFeishu()
    fake.send_faults.append("throttle")
    with pytest.raises(RateLimited):
        await Feishu().send(context(fake), Message(), [recipient("k", user_id="u-ada")])
    assert fake.delivered == []


async def test_a_timeout_after_sending_is_unknown() -> None:
    fake = FakeFeishu()
    fake.send_faults.extend([None, "timeout_after"])  # type: ignore[list-item]
    people = [recipient("k1", user_id="u-ada"), recipient("k2", user_id="u-grace")]
    result = await Feishu().send(context(fake, {**APP, "concurrency": 1}), Message(), people)
    assert statuses(result) == {"k1": "accepted", "k2": "unknown"}
    assert len(fake.delivered) == 2


async def test_a_resent_key_is_not_delivered_twice() -> None:
    fake = FakeFeishu()
    people = [recipient("same-key", user_id="u-ada")]
    await Feishu().send(context(fake), Message(), people)
    again = await Feishu().send(context(fake), Message(), people)
    assert again.results[0].status is RecordStatus.ACCEPTED
    assert len(fake.delivered) == 1  # the uuid deduplicated it


async def test_wrong_app_credentials_fail_the_batch_without_leaking_them() -> None:
    config = {**APP, "app_secret": "feishu-secret-WRONG-987"}
    with pytest.raises(AuthFailed) as caught:
        await Feishu().send(
            context(FakeFeishu(), config), Message(), [recipient("k", user_id="u-ada")]
        )
    assert "app_secret" in caught.value.message
    assert config["app_secret"] not in str(caught.value) and APP_SECRET not in str(caught.value)


async def test_a_bot_only_connection_says_it_cannot_send() -> None:
    with pytest.raises(ConfigInvalid, match="no app: set app_id and app_secret"):
        await Feishu().send(
            context(FakeFeishu(), BOT), Message(), [recipient("k", user_id="u-ada")]
        )


async def test_empty_and_oversized_messages_are_rejected_before_any_call() -> None:
    fake = FakeFeishu()
    people = [
        recipient("empty", " ", user_id="u-ada"),
        recipient("big", "长" * 60_000, user_id="u-ada"),
    ]
    post = Message(options={"msg_type": "post"})
    result = await Feishu().send(context(fake), post, people)
    assert {r.key: r.code for r in result.results} == {"empty": "empty", "big": "too_long"}
    assert fake.delivered == []


def test_configs_refuse_half_configured_parts() -> None:
    with pytest.raises(msgspec.ValidationError, match="set app_secret"):
        msgspec.convert({"app_id": "cli_abcdef"}, FeishuConfig)
    with pytest.raises(msgspec.ValidationError, match="set webhook_token"):
        msgspec.convert({**APP, "webhook_secret": "x" * 10}, FeishuConfig)
    assert json.loads(msgspec.json.encode(FeishuConfig(**APP)))["concurrency"] == 5
