"""Fixtures for the ``wechat_oa`` source: an account on the fake WeChat, and contexts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from junction.plugins import ConnectorContext, MemoryTokenStore, TokenStore
from junction.sources.wechat_oa import WechatOaConfig
from tests.fakes.wechat_oa import FakeWechat, Follower

APP_ID = "wx8f1e2d3c4b5a6978"
APP_SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
CALLBACK_TOKEN = "junctionCallbackTok3n"
AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
OLD_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

TAGS = {2: "星标组", 100: "vip", 101: "beijing"}


def config(**overrides: Any) -> WechatOaConfig:
    raw = {
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "callback_token": CALLBACK_TOKEN,
        "api_base_url": "https://wechat.test",
        **overrides,
    }
    return msgspec.convert(raw, WechatOaConfig)


def followers(count: int) -> list[Follower]:
    """``count`` followers: every third has a unionid, every fifth is tagged vip."""
    return [
        Follower(
            openid=f"oF{n:05d}xyz",
            subscribe_time=1_714_000_000 + n,
            unionid=f"oU{n:05d}" if n % 3 == 0 else None,
            tagid_list=[100] if n % 5 == 0 else [],
        )
        for n in range(count)
    ]


@pytest.fixture
def fake() -> FakeWechat:
    return FakeWechat(app_id=APP_ID, app_secret=APP_SECRET, followers=followers(7), tags=TAGS)


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


MakeContext = Callable[..., ConnectorContext[WechatOaConfig]]


@pytest.fixture
def log() -> Captured:
    return Captured()


@pytest.fixture
def make_ctx(fake: FakeWechat, log: Captured) -> MakeContext:
    """Contexts on the fake; pass ``tokens=`` to share a token store between them."""

    def make(
        *,
        state: dict[str, Any] | None = None,
        tokens: TokenStore | None = None,
        **overrides: Any,
    ) -> ConnectorContext[WechatOaConfig]:
        logger = logging.Logger("junction.connector.wechat-test", logging.DEBUG)
        logger.addHandler(log)
        return ConnectorContext(
            connection="wechat-test",
            config=config(**overrides),
            state=state,
            transport=fake.transport(),
            log=logger,
            tokens=tokens if tokens is not None else MemoryTokenStore(),
        )

    return make
