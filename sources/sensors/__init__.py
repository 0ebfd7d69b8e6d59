"""The ``sensors`` source: Sensors Data (神策) SDK traffic and history.

Registered through the public plugin API only: a connector (``register_connectors``)
and the SDK-compatible receiving endpoint (``register_routes``), which stores what it
receives through the injected ``ingest`` dependency.
"""

from __future__ import annotations

from typing import Any

from junction.plugins import hookimpl
from junction.sources.sensors.config import SensorsConfig
from junction.sources.sensors.connector import SensorsSource
from junction.sources.sensors.routes import ROUTES

__all__ = ["SensorsConfig", "SensorsSource"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``sensors`` source connector."""
    return [SensorsSource]


@hookimpl
def register_routes() -> list[Any]:
    """/hooks/sensors/sa (and sa.gif) for SDK data, /hooks/sensors/debug for debug mode."""
    return list(ROUTES)
