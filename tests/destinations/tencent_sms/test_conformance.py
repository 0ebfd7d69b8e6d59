"""The conformance kit on the ``tencent_sms`` connector, against the strict fake."""

from __future__ import annotations

from junction.destinations.tencent_sms import TencentSms
from junction.plugins import Recipient
from junction.plugins.testing import ConformanceCase, conformance_suite

from ...fakes.tencent_sms import FakeTencentSms
from .common import BAD, MESSAGE, VALID, recipient

SAME = {"name": "all", "code": "0"}
RECIPIENTS = (
    recipient("k1", "+8613800138000", **SAME),
    recipient("k2", "+85291234567", **SAME),
    recipient("k3", "+8613900139000", **SAME),  # the fake calls it incorrect
    recipient("k4", "+8613700137000", name="Grace", code="7"),
    recipient("k5", "+86123"),  # not a mainland number: rejected without a call
    Recipient(key="k6", address={}),  # no phone at all
)

TestTencentSmsConformance = conformance_suite(
    ConformanceCase(
        connector=TencentSms,
        valid_config=VALID,
        bad_credentials_config=BAD,
        transport_factory=lambda: FakeTencentSms(invalid_numbers={"+8613900139000"}).transport(),
        sample_recipients=RECIPIENTS,
        message=MESSAGE,
    )
)
