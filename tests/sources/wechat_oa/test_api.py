"""The access token (shared, cached, refreshed once) and how WeChat's errcodes map."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    MemoryTokenStore,
    PermanentFailure,
    RateLimited,
    Retryable,
)
from junction.sources.wechat_oa.api import WechatApi
from junction.sources.wechat_oa.errors import error_for
from tests.fakes.wechat_oa import FakeWechat

from .conftest import APP_SECRET, Captured, MakeContext


async def tags(make_ctx: MakeContext, **kwargs: object) -> dict[str, object]:
    async with WechatApi.open(make_ctx(**kwargs)) as api:
        return await api.get("tags/get")


async def test_one_stable_token_serves_every_call_of_the_connection(
    fake: FakeWechat, make_ctx: MakeContext
) -> None:
    store = MemoryTokenStore()
    for _ in range(3):
        assert "tags" in await tags(make_ctx, tokens=store)
    (token_call,) = fake.calls_to("stable_token")
    method, _, params, body = token_call
    assert (method, params) == ("POST", {})
    assert json.loads(body) == {
        "grant_type": "client_credential",
        "appid": fake.app_id,
        "secret": APP_SECRET,
        "force_refresh": False,
    }
    assert not fake.calls_to("token"), "the classic token would revoke other holders' tokens"
    assert len({call[2]["access_token"] for call in fake.calls_to("tags/get")}) == 1


@pytest.mark.parametrize("revoke", ["expired", "revoked"])
async def test_a_refused_token_is_force_refreshed_and_the_call_retried_once(
    fake: FakeWechat, make_ctx: MakeContext, revoke: str
) -> None:
    store = MemoryTokenStore()
    await tags(make_ctx, tokens=store)
    if revoke == "expired":
        fake.advance(7200)  # the platform's clock: our cache still believes it fresh
    else:
        fake.revoke_tokens()
    assert "tags" in await tags(make_ctx, tokens=store)
    first, second = fake.calls_to("stable_token")
    assert [json.loads(call[3])["force_refresh"] for call in (first, second)] == [False, True]
    old, refused, retried = (call[2]["access_token"] for call in fake.calls_to("tags/get"))
    assert old == refused != retried


async def test_a_fresh_token_refused_again_fails_without_looping(
    fake: FakeWechat, make_ctx: MakeContext
) -> None:
    fake.fail("tags/get", 40001, 40001, 40001)
    with pytest.raises(AuthFailed, match="freshly issued access token") as caught:
        await tags(make_ctx)
    assert caught.value.code == "40001"
    assert len(fake.calls_to("tags/get")) == 2
    assert len(fake.calls_to("stable_token")) == 2


async def test_a_stale_token_already_replaced_by_another_caller_is_not_fetched_again(
    fake: FakeWechat, make_ctx: MakeContext
) -> None:
    store = MemoryTokenStore()
    await tags(make_ctx, tokens=store)
    fake.revoke_tokens()
    # Two operations of the connection find the token refused; only one refreshes it.
    async with (
        WechatApi.open(make_ctx(tokens=store)) as one,
        WechatApi.open(make_ctx(tokens=store)) as two,
    ):
        stale = await one.token()
        fresh = await one.token(stale=stale)
        assert await two.token(stale=stale) == fresh
    assert len(fake.calls_to("stable_token")) == 2


async def test_a_token_force_refreshed_elsewhere_is_replaced_once_its_grace_ends(
    fake: FakeWechat, make_ctx: MakeContext
) -> None:
    ours, theirs = MemoryTokenStore(), MemoryTokenStore()
    await tags(make_ctx, tokens=ours)
    # Another holder of the same AppID forces a refresh (its own token refused, say).
    async with WechatApi.open(make_ctx(tokens=theirs)) as other:
        await other.token(stale=await other.token())
    assert "tags" in await tags(make_ctx, tokens=ours)  # within the grace period
    assert len(fake.calls_to("stable_token")) == 3
    fake.advance(301)
    assert "tags" in await tags(make_ctx, tokens=ours)  # refused once, refreshed, retried
    assert len(fake.calls_to("stable_token")) == 4
    used = [call[2]["access_token"] for call in fake.calls_to("tags/get")]
    assert used[0] == used[1] == used[2] != used[3]


@pytest.mark.parametrize(
    ("fault", "error", "code"),
    [
        (-1, RateLimited, "-1"),
        (45009, RateLimited, "45009"),
        (45011, RateLimited, "45011"),
        (48001, ConfigInvalid, "48001"),
        (40003, PermanentFailure, "40003"),
        ("http:502", Retryable, None),
        ("timeout", Retryable, None),
    ],
)
async def test_failures_map_to_what_the_engine_does_next(
    fake: FakeWechat,
    make_ctx: MakeContext,
    fault: int | str,
    error: type[Exception],
    code: str | None,
) -> None:
    fake.fail("tags/get", fault)
    with pytest.raises(error) as caught:
        await tags(make_ctx)
    assert type(caught.value) is error
    assert getattr(caught.value, "code", None) == code
    assert len(fake.calls_to("tags/get")) == 1, "the engine retries, not the plugin"


def test_quota_errors_say_when_to_come_back() -> None:
    now = datetime(2024, 5, 1, 15, 59, 30, tzinfo=UTC)  # 23:59:30 in Beijing
    daily = error_for(45009, "reach max api daily quota limit", call="user/get", now=now)
    assert isinstance(daily, RateLimited) and daily.retry_after == 30.0
    assert "midnight Beijing time" in daily.message
    minute = error_for(45011, "api minute-quota reach limit", call="user/get", now=now)
    assert isinstance(minute, RateLimited) and minute.retry_after == 30.0
    busy = error_for(-1, "system error", call="user/get", now=now)
    assert isinstance(busy, RateLimited) and busy.retry_after


@pytest.mark.parametrize(
    ("setup", "code", "says"),
    [
        ({"app_secret": "wrongSecret12345678"}, "40125", "AppSecret"),
        ({"app_id": "wx0000000000000000"}, "40013", "AppID"),
        ({"whitelist": False}, "40164", "IP whitelist"),
    ],
)
async def test_refused_credentials_say_what_to_fix_and_never_show_the_secret(
    fake: FakeWechat,
    make_ctx: MakeContext,
    log: Captured,
    setup: dict[str, object],
    code: str,
    says: str,
) -> None:
    fake.ip_whitelisted = bool(setup.pop("whitelist", True))
    with pytest.raises(AuthFailed, match=says) as caught:
        await tags(make_ctx, **setup)
    assert caught.value.code == code
    for text in (caught.value.message, *log.lines):
        assert APP_SECRET not in text and "wrongSecret12345678" not in text
    assert not fake.calls_to("tags/get")


async def test_the_token_never_appears_in_logs(
    fake: FakeWechat, make_ctx: MakeContext, log: Captured
) -> None:
    fake.fail("tags/get", 42001)
    await tags(make_ctx)
    tokens = set(fake.tokens)
    assert tokens and log.lines
    assert not any(token in line for token in tokens for line in log.lines)
