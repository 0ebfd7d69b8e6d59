"""The conformance kit on the ``aliyun_sms`` connector, against the strict fake."""

from __future__ import annotations

from junction.destinations.aliyun_sms import AliyunSms
from junction.plugins import Recipient
from junction.plugins.testing import ConformanceCase, conformance_suite

from ...fakes.aliyun_sms import FakeAliyunSms
from .common import BAD, MESSAGE, VALID, recipient

RECIPIENTS = (
    recipient("k1", "+8613800138000"),
    recipient("k2", "+85291234567"),
    recipient("k3", "+8613900139000"),  # the fake calls it illegal: rejected alone
    recipient("k4", "+86123"),  # not a mainland number: rejected without a call
    Recipient(key="k5", address={}),  # no phone at all
)

TestAliyunSmsConformance = conformance_suite(
    ConformanceCase(
        connector=AliyunSms,
        valid_config=VALID,
        bad_credentials_config=BAD,
        transport_factory=lambda: FakeAliyunSms(invalid_numbers={"13900139000"}).transport(),
        sample_recipients=RECIPIENTS,
        message=MESSAGE,
    )
)
