"""The conformance kit on the ``feishu`` connector, against the strict fake."""

from __future__ import annotations

from junction.destinations.feishu import Feishu
from junction.plugins import Content, Message, Recipient
from junction.plugins.testing import ConformanceCase, conformance_suite

from ...fakes.feishu import FakeFeishu
from .common import BAD, VALID

RECIPIENTS = (
    Recipient(key="k1", address={"user_id": "u-ada"}),
    Recipient(key="k2", address={"email": "grace@example.com"}),
    Recipient(key="k3", address={"user_id": "u-stranger"}),  # outside the app's scope
    Recipient(key="k4", address={"user_id": "u-alan"}, content=Content(text="Hi Alan")),
    Recipient(key="k5", address={}),  # nothing Feishu can address
)

TestFeishuConformance = conformance_suite(
    ConformanceCase(
        connector=Feishu,
        valid_config=VALID,
        bad_credentials_config=BAD,
        transport_factory=lambda: FakeFeishu().transport(),
        sample_recipients=RECIPIENTS,
        message=Message(content=Content(text="欢迎 / welcome")),
    )
)
