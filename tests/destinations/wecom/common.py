"""What the wecom tests share: configs matching the fake, contexts, recipients."""

from __future__ import annotations

from typing import Any

from junction.destinations.wecom import WeComConfig
from junction.plugins import ConnectorContext, Content, Recipient

from ...fakes.wecom import FakeWeCom

ROBOT_KEY = "robot-key-0123456789"
CORP_ID = "ww0123456789abcdef"
CORP_SECRET = "wecom-secret-0123456789"
ROBOT: dict[str, Any] = {"webhook_key": ROBOT_KEY}
APP: dict[str, Any] = {"corp_id": CORP_ID, "corp_secret": CORP_SECRET, "agent_id": 1000002}
VALID: dict[str, Any] = {**ROBOT, **APP}
BAD: dict[str, Any] = {**VALID, "corp_secret": "wecom-secret-WRONG-987"}


def context(fake: FakeWeCom, config: dict[str, Any] | None = None) -> ConnectorContext[WeComConfig]:
    raw = VALID if config is None else config
    return ConnectorContext(
        connection="wecom", config=WeComConfig(**raw), transport=fake.transport()
    )


def recipient(key: str, userid: str | None, text: str = "你好, welcome") -> Recipient:
    address = {"user_id": userid} if userid else {}
    return Recipient(key=key, address=address, content=Content(text=text))
