"""The conformance kit on the ``wecom`` connector, against the strict fake."""

from __future__ import annotations

from junction.destinations.wecom import WeCom
from junction.plugins import Content, Message, Recipient
from junction.plugins.testing import ConformanceCase, conformance_suite

from ...fakes.wecom import FakeWeCom
from .common import BAD, VALID

RECIPIENTS = (
    Recipient(key="k1", address={"user_id": "zhangsan"}),
    Recipient(key="k2", address={"user_id": "lisi"}),
    Recipient(key="k3", address={"user_id": "nobody"}),  # the corp has no such member
    Recipient(key="k4", address={"user_id": "ada"}, content=Content(text="Hi Ada")),
    Recipient(key="k5", address={}),  # no userid at all
)

TestWeComConformance = conformance_suite(
    ConformanceCase(
        connector=WeCom,
        valid_config=VALID,
        bad_credentials_config=BAD,
        transport_factory=lambda: FakeWeCom().transport(),
        sample_recipients=RECIPIENTS,
        message=Message(content=Content(text="欢迎 / welcome")),
    )
)
