"""The built-in ``http`` source: Segment's HTTP Tracking API, served by the hub.

Registered through the public plugin API only, like any third-party plugin: a
connector (``register_connectors``) and its endpoints (``register_routes``), which
store what they receive through the injected ``ingest`` dependency.
"""

from __future__ import annotations

from typing import Any

from junction.plugins import hookimpl
from junction.sources.http.connector import HttpConfig, HttpSource
from junction.sources.http.routes import ROUTES

__all__ = ["HttpConfig", "HttpSource"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``http`` source connector."""
    return [HttpSource]


@hookimpl
def register_routes() -> list[Any]:
    """POST /v1/track, /v1/identify, /v1/page, /v1/screen, /v1/group, /v1/alias, /v1/batch
    and /v1/import, plus their CORS preflight."""
    return list(ROUTES)
