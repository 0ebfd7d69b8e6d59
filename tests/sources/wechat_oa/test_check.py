"""``check`` and the config: what an admin sees when something is wrong."""

from __future__ import annotations

import msgspec
import pytest

from junction.plugins import RateLimited
from junction.sources.wechat_oa import WechatOaConfig, WechatOaSource
from tests.fakes.wechat_oa import FakeWechat

from .conftest import AES_KEY, APP_ID, APP_SECRET, CALLBACK_TOKEN, MakeContext


async def test_check_fetches_a_token_and_reads_the_tags(
    fake: FakeWechat, make_ctx: MakeContext
) -> None:
    result = await WechatOaSource().check(make_ctx())
    assert result.ok
    assert result.message == f"connected to WeChat as {APP_ID}; the account has 3 tags"
    assert [call[1] for call in fake.calls] == ["stable_token", "tags/get"]


@pytest.mark.parametrize(
    ("setup", "says"),
    [
        ({"app_secret": "wrongAppSecret0987654321"}, "refused the AppSecret (40125)"),
        ({"app_id": "wx0000000000000000"}, "does not know this AppID (40013)"),
        ({"whitelist": False}, "IP address is not in the account's IP whitelist (40164)"),
    ],
)
async def test_check_names_the_credential_to_fix(
    fake: FakeWechat, make_ctx: MakeContext, setup: dict[str, object], says: str
) -> None:
    fake.ip_whitelisted = bool(setup.pop("whitelist", True))
    result = await WechatOaSource().check(make_ctx(**setup))
    assert not result.ok
    assert says in result.message
    assert "wrongAppSecret0987654321" not in result.message and APP_SECRET not in result.message


async def test_check_passes_on_a_busy_platform_as_retryable(
    fake: FakeWechat, make_ctx: MakeContext
) -> None:
    fake.fail("stable_token", -1)
    with pytest.raises(RateLimited):
        await WechatOaSource().check(make_ctx())


BASE = {"app_id": APP_ID, "app_secret": APP_SECRET, "callback_token": CALLBACK_TOKEN}


def test_defaults_are_plaintext_the_real_api_and_a_five_minute_window() -> None:
    config = msgspec.convert(BASE, WechatOaConfig)
    assert config.message_mode == "plaintext"
    assert config.api_base_url == "https://api.weixin.qq.com"
    assert (config.replay_window_seconds, config.full_pull_every_hours) == (300, 24)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"message_mode": "safe"}, "needs encoding_aes_key"),
        ({"message_mode": "compatible"}, "needs encoding_aes_key"),
        ({"encoding_aes_key": AES_KEY[:-1]}, "encoding_aes_key"),
        ({"app_id": "gh_0123456789abcdef"}, "app_id"),
        ({"callback_token": "a b"}, "callback_token"),
        ({"message_mode": "secure"}, "message_mode"),
        ({"replay_window_seconds": 5}, "replay_window_seconds"),
    ],
)
def test_a_config_that_cannot_work_is_refused_naming_the_field(
    change: dict[str, object], named: str
) -> None:
    with pytest.raises(msgspec.ValidationError, match=named) as caught:
        msgspec.convert({**BASE, **change}, WechatOaConfig)
    assert AES_KEY[:-1] not in str(caught.value)


def test_safe_mode_with_a_key_is_accepted() -> None:
    config = msgspec.convert(
        {**BASE, "message_mode": "safe", "encoding_aes_key": AES_KEY}, WechatOaConfig
    )
    assert config.message_mode == "safe"
