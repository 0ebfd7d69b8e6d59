"""The built-in ``aliyun_sms`` destination: Aliyun (阿里云) SMS template messages.

Registered through the public plugin API only. The wire contract it follows is
shared/platforms/aliyun-sms.md; operators' docs are docs/destinations/aliyun_sms.md.
"""

from __future__ import annotations

from typing import Any

from junction.destinations.aliyun_sms.config import AliyunSmsConfig, AliyunSmsOptions
from junction.destinations.aliyun_sms.connector import MAX_BATCH, AliyunSms
from junction.destinations.aliyun_sms.signing import sign
from junction.plugins import hookimpl

__all__ = ["MAX_BATCH", "AliyunSms", "AliyunSmsConfig", "AliyunSmsOptions", "sign"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``aliyun_sms`` destination connector."""
    return [AliyunSms]
