"""The built-in ``feishu`` destination: Feishu / Lark custom bot and app messages.

Registered through the public plugin API only. The wire contract it follows is
shared/platforms/feishu.md; operators' docs are docs/destinations/feishu.md.
"""

from __future__ import annotations

from typing import Any

from junction.destinations.feishu.config import FeishuConfig, FeishuOptions
from junction.destinations.feishu.connector import Feishu
from junction.destinations.feishu.signing import sign
from junction.plugins import hookimpl

__all__ = ["Feishu", "FeishuConfig", "FeishuOptions", "sign"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``feishu`` destination connector."""
    return [Feishu]
