"""The built-in ``tencent_sms`` destination: Tencent Cloud (腾讯云) SMS template messages.

Registered through the public plugin API only. The wire contract it follows is
shared/platforms/tencent-sms.md; operators' docs are docs/destinations/tencent_sms.md.
"""

from __future__ import annotations

from typing import Any

from junction.destinations.tencent_sms.config import TencentSmsConfig, TencentSmsOptions
from junction.destinations.tencent_sms.connector import MAX_NUMBERS, TencentSms
from junction.destinations.tencent_sms.signing import authorization
from junction.plugins import hookimpl

__all__ = ["MAX_NUMBERS", "TencentSms", "TencentSmsConfig", "TencentSmsOptions", "authorization"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``tencent_sms`` destination connector."""
    return [TencentSms]
