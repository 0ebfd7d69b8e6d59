"""The async engine and session factory, tuned per database.

SQLite is the embedded default, so it gets the settings that make an acknowledged write
durable and concurrent readers cheap: WAL journal, ``synchronous=FULL``, foreign keys on
and a busy timeout instead of immediate "database is locked" errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from junction.core.errors import ConfigError

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def parse_database_url(url: str) -> URL:
    """Parse ``url`` and pick the async driver when only the database is named.

    Raises:
        ConfigError: the URL is malformed or names a database the hub does not support.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise ConfigError(f"JUNCTION_DATABASE_URL is not a database URL: {url!r} ({exc})") from None
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ConfigError(
            f"JUNCTION_DATABASE_URL names {backend!r}; the hub stores its data in "
            "SQLite (sqlite+aiosqlite://) or PostgreSQL (postgresql+asyncpg://)"
        )
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[backend])
    return parsed


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the hub's async engine for ``url`` (SQLite or PostgreSQL)."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, **kwargs)
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "begin", _begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(parsed, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (no lazy reloads in async)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when a transaction begins.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _begin(connection: Any) -> None:
    # A deferred BEGIN keeps long reads (segment computations) from blocking writers under
    # WAL. The price: a transaction that reads and then writes may lose the race to
    # upgrade its lock, so write paths that read-modify-write start with their write
    # (see AuditLog.append).
    connection.exec_driver_sql("BEGIN")
