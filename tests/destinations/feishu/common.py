"""What the feishu tests share: configs matching the fake, contexts, recipients."""

from __future__ import annotations

from typing import Any

from junction.destinations.feishu import FeishuConfig
from junction.plugins import ConnectorContext, Content, Recipient

from ...fakes.feishu import FakeFeishu

BOT_TOKEN = "bot-token-0123456789"
BOT_SECRET = "bot-secret-0123456789"
APP_ID = "cli_a1b2c3d4e5f6"
APP_SECRET = "feishu-secret-0123456789"
BOT: dict[str, Any] = {"webhook_token": BOT_TOKEN, "webhook_secret": BOT_SECRET}
APP: dict[str, Any] = {"app_id": APP_ID, "app_secret": APP_SECRET}
VALID: dict[str, Any] = {**BOT, **APP}
BAD: dict[str, Any] = {**VALID, "webhook_secret": "bot-secret-WRONG-9876"}


def context(
    fake: FakeFeishu, config: dict[str, Any] | None = None
) -> ConnectorContext[FeishuConfig]:
    raw = VALID if config is None else config
    return ConnectorContext(
        connection="feishu", config=FeishuConfig(**raw), transport=fake.transport()
    )


def recipient(key: str, text: str = "你好, welcome", **address: str) -> Recipient:
    return Recipient(key=key, address=address, content=Content(text=text))
