"""The built-in ``oceanengine`` destination: Ocean Engine (巨量引擎) DMP audiences.

Registered through the public plugin API only, like any third-party plugin. The wire
contract it follows is shared/platforms/oceanengine.md; operators read
docs/destinations/oceanengine.md.
"""

from __future__ import annotations

from typing import Any

from junction.destinations.oceanengine.config import OceanEngineConfig
from junction.destinations.oceanengine.connector import OceanEngineAudiences
from junction.plugins import hookimpl

__all__ = ["OceanEngineAudiences", "OceanEngineConfig"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``oceanengine`` destination connector."""
    return [OceanEngineAudiences]
