"""Storage: the async engine, the tables and migrations."""

from __future__ import annotations

from junction.core.db.database import Database
from junction.core.db.engine import create_engine, parse_database_url

__all__ = ["Database", "create_engine", "parse_database_url"]
