"""The built-in ``google_ads`` destination: Google Ads Customer Match lists.

Registered through the public plugin API only. The wire contract is in
shared/platforms/google-ads.md; operators' documentation in
docs/destinations/google_ads.md.
"""

from __future__ import annotations

from typing import Any

from junction.destinations.google_ads.config import GoogleAdsConfig
from junction.destinations.google_ads.connector import GoogleAds
from junction.plugins import hookimpl

__all__ = ["GoogleAds", "GoogleAdsConfig"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``google_ads`` destination connector."""
    return [GoogleAds]
