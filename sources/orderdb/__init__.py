"""The built-in ``orderdb`` source: orders from any PostgreSQL, MySQL/MariaDB or SQLite
database, read incrementally and read-only.

Registered through the public plugin API only, like any third-party plugin.
"""

from __future__ import annotations

from typing import Any

from junction.plugins import hookimpl
from junction.sources.orderdb.config import ItemsConfig, OrderColumns, OrderDbConfig
from junction.sources.orderdb.connector import OrderDbSource

__all__ = ["ItemsConfig", "OrderColumns", "OrderDbConfig", "OrderDbSource"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``orderdb`` source connector."""
    return [OrderDbSource]
