"""Operator notifications through the custom bot, signed."""

from __future__ import annotations

import json

import pytest

from junction.destinations.feishu import Feishu
from junction.destinations.feishu.bot import MAX_BODY_BYTES
from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    Notification,
    OutcomeUnknown,
    PermanentFailure,
    RateLimited,
    Retryable,
)

from ...fakes.feishu import FakeFeishu
from .common import APP, BOT, BOT_SECRET, BOT_TOKEN, context

PARTIAL = Notification(
    title="Junction: sync welcome run 8 partial",
    text="planned 3 · accepted 2 · dead-lettered 1 · unknown 0 · failed 0",
    url="https://hub.example/admin/runs/8",
    severity="warning",
)


async def test_a_signed_card_with_a_button_to_the_run() -> None:
    fake = FakeFeishu()
    await Feishu().notify(context(fake), PARTIAL)
    [(token, body)] = fake.bot_posts
    assert token == BOT_TOKEN and body["msg_type"] == "interactive"
    card = body["card"]
    assert card["header"]["title"]["content"] == PARTIAL.title
    assert card["header"]["template"] == "orange"
    assert card["elements"][0]["text"]["content"] == PARTIAL.text
    assert card["elements"][1]["actions"][0]["url"] == "https://hub.example/admin/runs/8"
    assert body["timestamp"].isdigit() and body["sign"]


async def test_text_format_and_an_unsigned_bot() -> None:
    fake = FakeFeishu(bots={BOT_TOKEN: ""})
    await Feishu().notify(
        context(fake, {"webhook_token": BOT_TOKEN, "notify_format": "text"}), PARTIAL
    )
    [(_, body)] = fake.bot_posts
    assert body == {
        "msg_type": "text",
        "content": {"text": f"{PARTIAL.title}\n{PARTIAL.text}\nhttps://hub.example/admin/runs/8"},
    }


async def test_a_wrong_secret_is_an_auth_failure_naming_the_fix_not_the_secret() -> None:
    fake = FakeFeishu(bots={BOT_TOKEN: "the-platform-knows-another"})
    with pytest.raises(AuthFailed) as caught:
        await Feishu().notify(context(fake), PARTIAL)
    assert caught.value.code == "19021"
    assert "webhook_secret" in caught.value.message and BOT_SECRET not in caught.value.message


async def test_a_clock_more_than_an_hour_off_fails_the_signature() -> None:
    fake = FakeFeishu(clock=lambda: 1_700_000_000.0)  # the hub's clock is years later
    with pytest.raises(AuthFailed, match="clock"):
        await Feishu().notify(context(fake), PARTIAL)


async def test_an_unknown_bot_token_is_an_auth_failure() -> None:
    fake = FakeFeishu(bots={"another-token-00000000": ""})
    with pytest.raises(AuthFailed) as caught:
        await Feishu().notify(context(fake), PARTIAL)
    assert BOT_TOKEN not in str(caught.value)


async def test_a_huge_text_is_cut_to_fit_20_kb() -> None:
    fake = FakeFeishu()
    huge = Notification(
        title="同步失败", text='错误 "详情"\n' * 3000, url="https://hub.example/r/1"
    )
    await Feishu().notify(context(fake), huge)
    [(_, body)] = fake.bot_posts  # the fake refuses bodies over 20 KB (9499)
    assert len(json.dumps(body, ensure_ascii=False).encode()) <= MAX_BODY_BYTES
    text = body["card"]["elements"][0]["text"]["content"]
    assert text.endswith("…(truncated)")
    assert body["card"]["elements"][1]["actions"][0]["url"] == "https://hub.example/r/1"


async def test_the_sixth_message_in_a_second_is_rate_limited() -> None:
    fake = FakeFeishu(clock=lambda: 4_000_000_000.0)
    ctx = context(fake, {"webhook_token": BOT_TOKEN})
    fake.bots[BOT_TOKEN] = ""
    for _ in range(5):
        await Feishu().notify(ctx, PARTIAL)
    with pytest.raises(RateLimited) as caught:
        await Feishu().notify(ctx, PARTIAL)
    assert caught.value.code == "11232"


@pytest.mark.parametrize(
    ("fault", "error", "code"),
    [
        ("too_many", RateLimited, "9499"),
        ("throttle", RateLimited, "99991400"),
        ("busy", Retryable, "1500"),
        ("refused", Retryable, None),
        ("timeout", OutcomeUnknown, None),
        ("500", OutcomeUnknown, None),
    ],
)
async def test_platform_faults_map_to_what_the_engine_does_next(
    fault: str, error: type[Exception], code: str | None
) -> None:
    fake = FakeFeishu()
    fake.bot_faults.append(fault)
    with pytest.raises(error) as caught:
        await Feishu().notify(context(fake), PARTIAL)
    assert getattr(caught.value, "code", None) == code
    assert BOT_TOKEN not in str(caught.value)


async def test_throttling_honours_the_reset_header() -> None:
    fake = FakeFeishu()
    fake.bot_faults.append("throttle")
    with pytest.raises(RateLimited) as caught:
        await Feishu().notify(context(fake), PARTIAL)
    assert caught.value.retry_after == 2


async def test_an_app_only_connection_says_it_cannot_notify() -> None:
    with pytest.raises(ConfigInvalid, match="no custom bot: set webhook_token"):
        await Feishu().notify(context(FakeFeishu(), APP), PARTIAL)


async def test_a_title_that_alone_exceeds_20_kb_is_refused() -> None:
    with pytest.raises(PermanentFailure, match="20 KB"):
        await Feishu().notify(context(FakeFeishu()), Notification(title="x" * 30_000, text="t"))


async def test_check_proves_token_and_signature_without_posting() -> None:
    fake = FakeFeishu()
    result = await Feishu().check(context(fake))
    assert result.ok and "signature" in result.message
    assert fake.bot_posts == []
    bad = await Feishu().check(context(FakeFeishu(bots={BOT_TOKEN: "other-secret-000"}), BOT))
    assert not bad.ok and "19021" in bad.message
    bot_only = await Feishu().check(context(fake, BOT))
    assert bot_only.ok and "no app, so no app messages" in bot_only.message


async def test_keyword_security_is_met_by_the_title_and_explained_when_not() -> None:
    fake = FakeFeishu(keywords={"Junction"})
    assert (await Feishu().check(context(fake))).ok  # the probe passed token and signature
    await Feishu().notify(context(fake), PARTIAL)
    assert len(fake.bot_posts) == 1
    fake.keywords = {"ALERT"}
    with pytest.raises(ConfigInvalid, match="keyword") as caught:
        await Feishu().notify(context(fake), PARTIAL)
    assert caught.value.code == "19024"
