"""The built-in ``ga4`` source: Google Analytics 4 through the Data API or BigQuery.

Registered through the public plugin API only, like any third-party plugin.
"""

from __future__ import annotations

from typing import Any

from junction.plugins import hookimpl
from junction.sources.ga4.config import GA4Config, Mode, RecordKind
from junction.sources.ga4.connector import GA4Source

__all__ = ["GA4Config", "GA4Source", "Mode", "RecordKind"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``ga4`` source connector."""
    return [GA4Source]
