"""What the tencent_sms tests share: a config matching the fake, contexts, recipients."""

from __future__ import annotations

from typing import Any

from junction.destinations.tencent_sms import TencentSmsConfig
from junction.plugins import ConnectorContext, Message, Recipient

from ...fakes.tencent_sms import FakeTencentSms

SECRET_ID = "AKIDJunctionFake0001"
SECRET_KEY = "tencent-secret-0123456789"
APP_ID = "1400006666"
VALID: dict[str, Any] = {"secret_id": SECRET_ID, "secret_key": SECRET_KEY, "sms_sdk_app_id": APP_ID}
BAD = {**VALID, "secret_key": "tencent-secret-WRONG-987"}
MESSAGE = Message(
    template="1110", options={"sign_name": "Junction", "param_order": ["name", "code"]}
)


def context(fake: FakeTencentSms, **config: Any) -> ConnectorContext[TencentSmsConfig]:
    return ConnectorContext(
        connection="sms", config=TencentSmsConfig(**{**VALID, **config}), transport=fake.transport()
    )


def recipient(key: str, phone: str, **params: str) -> Recipient:
    return Recipient(
        key=key, address={"phone": phone}, params=params or {"name": "Ada", "code": "1234"}
    )
