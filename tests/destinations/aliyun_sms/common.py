"""What the aliyun_sms tests share: a config matching the fake, contexts, recipients."""

from __future__ import annotations

from typing import Any

from junction.destinations.aliyun_sms import AliyunSmsConfig
from junction.plugins import ConnectorContext, Message, Recipient

from ...fakes.aliyun_sms import FakeAliyunSms

KEY_ID = "LTAI5tJunctionFake01"
SECRET = "aliyun-secret-0123456789"
VALID: dict[str, Any] = {"access_key_id": KEY_ID, "access_key_secret": SECRET}
BAD = {**VALID, "access_key_secret": "aliyun-secret-WRONG-987"}
MESSAGE = Message(template="SMS_0001", options={"sign_name": "Junction"})


def context(fake: FakeAliyunSms, **config: Any) -> ConnectorContext[AliyunSmsConfig]:
    return ConnectorContext(
        connection="sms",
        config=AliyunSmsConfig(**{**VALID, **config}),
        transport=fake.transport(),
    )


def recipient(key: str, phone: str, **params: str) -> Recipient:
    return Recipient(
        key=key, address={"phone": phone}, params=params or {"name": "Ada", "code": "1234"}
    )
