"""The built-in ``wecom`` destination: WeCom (企业微信) group robot and app messages.

Registered through the public plugin API only. The wire contract it follows is
shared/platforms/wecom.md; operators' docs are docs/destinations/wecom.md.
"""

from __future__ import annotations

from typing import Any

from junction.destinations.wecom.config import WeComConfig, WeComOptions
from junction.destinations.wecom.connector import WeCom
from junction.destinations.wecom.text import MARKER, fit
from junction.plugins import hookimpl

__all__ = ["MARKER", "WeCom", "WeComConfig", "WeComOptions", "fit"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``wecom`` destination connector."""
    return [WeCom]
