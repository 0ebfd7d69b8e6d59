"""App messages: tokens, batching by message, partial failures and faults."""

from __future__ import annotations

import pytest

from junction.destinations.wecom import WeCom, WeComConfig
from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    Content,
    Message,
    RateLimited,
    Recipient,
    RecordStatus,
    Retryable,
)

from ...fakes.wecom import FakeWeCom
from .common import BAD, CORP_SECRET, ROBOT, context, recipient

SHARED = Message(content=Content(text="新品上架 / new arrivals"))


def statuses(result: object) -> dict[str, str]:
    return {r.key: r.status.value for r in result.results}  # type: ignore[attr-defined]


async def test_one_shared_message_goes_to_everyone_in_one_call() -> None:
    fake = FakeWeCom()
    people = [
        Recipient(key=f"k{i}", address={"user_id": u})
        for i, u in enumerate(["ZhangSan", "lisi", "ada"])
    ]
    result = await WeCom().send(context(fake), SHARED, people)
    assert statuses(result) == {"k0": "accepted", "k1": "accepted", "k2": "accepted"}
    assert {m.msgid for m in fake.delivered} == {"msg000001"}  # one call
    assert result.results[0].platform_id == "msg000001"
    assert [m.content["content"] for m in fake.delivered] == ["新品上架 / new arrivals"] * 3


async def test_personal_messages_take_a_call_each() -> None:
    fake = FakeWeCom()
    people = [recipient("k1", "zhangsan", "Hi Zhang"), recipient("k2", "lisi", "Hi Li")]
    await WeCom().send(context(fake), Message(), people)
    assert {(m.userid, m.content["content"]) for m in fake.delivered} == {
        ("zhangsan", "Hi Zhang"),
        ("lisi", "Hi Li"),
    }
    assert len({m.msgid for m in fake.delivered}) == 2


async def test_invalid_and_unlicensed_users_are_rejected_the_rest_accepted() -> None:
    fake = FakeWeCom(unlicensed={"wangwu"})
    people = [
        Recipient(key="ok", address={"user_id": "zhangsan"}),
        Recipient(key="gone", address={"user_id": "Left-The-Company"}),
        Recipient(key="nolicence", address={"user_id": "wangwu"}),
    ]
    result = await WeCom().send(context(fake), SHARED, people)
    by_key = {r.key: r for r in result.results}
    assert by_key["ok"].status is RecordStatus.ACCEPTED
    assert (by_key["gone"].status, by_key["gone"].code) == (RecordStatus.REJECTED, "invaliduser")
    assert by_key["nolicence"].code == "unlicenseduser"
    assert fake.userids_delivered() == ["zhangsan"]
    assert result.invalid == 2


async def test_a_call_of_only_unknown_users_rejects_them_all_at_once() -> None:
    fake = FakeWeCom()
    people = [Recipient(key=f"k{i}", address={"user_id": f"nobody{i}"}) for i in range(3)]
    result = await WeCom().send(context(fake), SHARED, people)
    assert set(statuses(result).values()) == {"rejected"}
    assert {r.code for r in result.results} == {"81013"}
    assert fake.calls == 1  # 81013 names everyone: no need to send one by one


async def test_a_list_refused_whole_is_sent_one_by_one_to_find_whom() -> None:
    fake = FakeWeCom()
    fake.send_faults.append("bad_list")  # 40031 for the whole call, naming no one
    people = [
        Recipient(key="a", address={"user_id": "ada"}),
        Recipient(key="b", address={"user_id": "lisi"}),
    ]
    result = await WeCom().send(context(fake), SHARED, people)
    assert statuses(result) == {"a": "accepted", "b": "accepted"}
    assert fake.calls == 3 and sorted(fake.userids_delivered()) == ["ada", "lisi"]


async def test_recipients_wecom_cannot_take_are_rejected_before_any_call() -> None:
    fake = FakeWeCom()
    people = [
        Recipient(key="none", address={"email": "a@example.com"}),
        Recipient(key="pipe", address={"user_id": "a|b"}),
        recipient("long", "zhangsan", "长" * 683),  # 2049 bytes
        recipient("empty", "lisi", "   "),
    ]
    result = await WeCom().send(context(fake), Message(), people)
    assert {r.key: r.code for r in result.results} == {
        "none": "no_userid",
        "pipe": "invalid_userid",
        "long": "too_long",
        "empty": "empty",
    }
    assert fake.delivered == []


async def test_a_message_at_exactly_2048_bytes_is_sent_whole() -> None:
    fake = FakeWeCom()
    text = "长" * 682 + "ab"  # 2046 + 2 bytes
    result = await WeCom().send(context(fake), Message(), [recipient("k", "ada", text)])
    assert result.results[0].status is RecordStatus.ACCEPTED
    assert fake.delivered[0].content["content"] == text


async def test_more_than_1000_people_are_split_into_calls_of_1000() -> None:
    fake = FakeWeCom(users={f"u{i}" for i in range(1001)})
    people = [Recipient(key=f"k{i}", address={"user_id": f"u{i}"}) for i in range(1001)]
    result = await WeCom().send(context(fake), SHARED, people)
    assert set(statuses(result).values()) == {"accepted"}
    assert len({m.msgid for m in fake.delivered}) == 2


async def test_the_token_is_cached_and_refetched_when_it_expires_mid_batch() -> None:
    fake = FakeWeCom()
    connector, ctx = WeCom(), context(fake)
    people = [recipient(f"k{i}", u, f"hi {u}") for i, u in enumerate(["zhangsan", "lisi", "ada"])]
    fake.send_faults.extend([None, "expire"])  # type: ignore[list-item]
    result = await connector.send(ctx, Message(), people)
    assert set(statuses(result).values()) == {"accepted"}
    assert fake.tokens_issued == 2  # one at the start, one after 42001
    await connector.send(ctx, Message(), [recipient("again", "ada")])
    assert fake.tokens_issued == 2  # cached in ctx.tokens


async def test_busy_before_anything_went_out_is_retryable_for_the_whole_batch() -> None:
    fake = FakeWeCom()
    fake.send_faults.append("busy")
    with pytest.raises(Retryable) as caught:
        await WeCom().send(context(fake), SHARED, [recipient("k", "ada")])
    assert caught.value.code == "-1"


async def test_throttling_after_a_call_went_out_hands_the_rest_back_for_retry() -> None:
    fake = FakeWeCom()
    fake.send_faults.extend([None, "throttle"])  # type: ignore[list-item]
    people = [recipient("k1", "zhangsan", "one"), recipient("k2", "lisi", "two")]
    result = await WeCom().send(context(fake), Message(), people)
    assert statuses(result) == {"k1": "accepted", "k2": "retry"}
    assert result.results[1].code == "45009"
    fake.send_faults.append("throttle")
    with pytest.raises(RateLimited):
        await WeCom().send(context(fake), Message(), people[1:])


async def test_a_timeout_after_sending_is_unknown_and_the_rest_retry() -> None:
    fake = FakeWeCom()
    fake.send_faults.extend(["timeout_after"])
    people = [recipient("k1", "zhangsan", "one"), recipient("k2", "lisi", "two")]
    result = await WeCom().send(context(fake), Message(), people)
    assert statuses(result) == {"k1": "unknown", "k2": "retry"}
    assert fake.userids_delivered() == ["zhangsan"]  # it did go out: never resent blindly


async def test_a_wrong_secret_fails_the_batch_without_leaking_it() -> None:
    with pytest.raises(AuthFailed) as caught:
        await WeCom().send(context(FakeWeCom(), BAD), SHARED, [recipient("k", "ada")])
    assert caught.value.code == "40001"
    assert BAD["corp_secret"] not in str(caught.value) and CORP_SECRET not in str(caught.value)


async def test_a_robot_only_connection_says_it_cannot_send() -> None:
    with pytest.raises(ConfigInvalid, match="no application: set corp_id, corp_secret"):
        await WeCom().send(context(FakeWeCom(), ROBOT), SHARED, [recipient("k", "ada")])


async def test_textcards_and_department_copies_follow_the_options() -> None:
    fake = FakeWeCom()
    message = Message(
        content=Content(subject="双十一", text="全场五折"),
        options={"msgtype": "textcard", "url": "https://shop.example/", "toparty": ["1", "99"]},
    )
    result = await WeCom().send(
        context(fake), message, [Recipient(key="k", address={"user_id": "ada"})]
    )
    assert result.results[0].status is RecordStatus.ACCEPTED
    assert fake.delivered[0].content["title"] == "双十一"
    assert result.warnings == ("WeCom does not know departments 99 (options.toparty)",)
    with pytest.raises(ConfigInvalid, match=r"options\.url is required"):
        await WeCom().send(context(fake), Message(options={"msgtype": "textcard"}), [])
    personal = [recipient("a", "ada", "one"), recipient("b", "lisi", "two")]
    with pytest.raises(ConfigInvalid, match="toparty"):
        await WeCom().send(context(fake), Message(options={"toparty": ["1"]}), personal)


async def test_an_identical_resend_is_dropped_by_the_duplicate_check() -> None:
    fake = FakeWeCom()
    people = [recipient("k", "ada", "same")]
    await WeCom().send(context(fake), Message(), people)
    await WeCom().send(context(fake), Message(), people)
    assert fake.duplicates == 1 and len(fake.delivered) == 1


def test_a_half_configured_app_is_refused_naming_what_is_missing() -> None:
    import msgspec

    with pytest.raises(msgspec.ValidationError, match="set agent_id"):
        msgspec.convert({"corp_id": "ww1", "corp_secret": "s" * 10}, WeComConfig)
    with pytest.raises(msgspec.ValidationError, match="or both"):
        msgspec.convert({}, WeComConfig)
