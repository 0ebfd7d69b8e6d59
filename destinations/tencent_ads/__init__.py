"""The built-in ``tencent_ads`` destination: Tencent Ads customer-file audiences.

Registered through the public plugin API only, like any third-party plugin. The wire
contract it follows is shared/platforms/tencent-ads.md; operators read
docs/destinations/tencent_ads.md.
"""

from __future__ import annotations

from typing import Any

from junction.destinations.tencent_ads.config import TencentAdsConfig
from junction.destinations.tencent_ads.connector import TencentAds
from junction.destinations.tencent_ads.id_types import CATALOG, DEFAULT_RULES
from junction.plugins import hookimpl

__all__ = ["CATALOG", "DEFAULT_RULES", "TencentAds", "TencentAdsConfig"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``tencent_ads`` destination connector."""
    return [TencentAds]
