"""Engines and read-only transactions on the customer's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Executable, Result
from sqlalchemy.exc import NoSuchModuleError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from junction.plugins import ConfigInvalid, PluginError
from junction.sources.orderdb.failures import translate
from junction.sources.orderdb.plan import Plan, Relation

__all__ = ["CONNECT_TIMEOUT", "engine_for", "execute", "read_only"]

#: Seconds to wait for the database to accept a connection.
CONNECT_TIMEOUT = 10


def _connect_args(family: str) -> dict[str, Any]:
    if family == "postgresql":
        # Named in pg_stat_activity, so the customer's DBA sees who is reading.
        return {
            "timeout": CONNECT_TIMEOUT,
            "server_settings": {"application_name": "junction-orderdb"},
        }
    if family == "mysql":
        return {"connect_timeout": CONNECT_TIMEOUT}
    return {"timeout": CONNECT_TIMEOUT}


@asynccontextmanager
async def engine_for(plan: Plan) -> AsyncIterator[AsyncEngine]:
    """An engine of one connection for one check or read, disposed afterwards.

    Raises:
        ConfigInvalid: the URL names a driver that is not installed.
    """
    try:
        engine = create_async_engine(
            plan.url,
            pool_size=1,
            max_overflow=0,
            pool_pre_ping=True,
            connect_args=_connect_args(plan.dialect.family),
        )
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise ConfigInvalid(
            f"the driver {plan.url.drivername!r} is not installed: leave the driver out of "
            f"the URL ({plan.url.get_backend_name()}://...) to use the default ({exc})",
            field="url",
        ) from None
    try:
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def read_only(engine: AsyncEngine, plan: Plan) -> AsyncIterator[AsyncConnection]:
    """A connection in a read-only transaction, rolled back afterwards.

    Database errors raised while it is open come out as plugin errors (see
    :func:`~junction.sources.orderdb.failures.translate`); run statements with
    :func:`execute` so theirs name the table or query at fault.
    """
    try:
        async with engine.connect() as conn:
            await plan.dialect.begin_read_only(conn, plan.tz)
            try:
                yield conn
            finally:
                if conn.in_transaction():
                    await conn.rollback()
    except PluginError:
        raise
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        raise translate(exc, plan) from exc


async def execute(
    conn: AsyncConnection, plan: Plan, relation: Relation, statement: Executable
) -> Result[Any]:
    """Run ``statement`` against ``relation``, translating database errors."""
    try:
        return await conn.execute(statement)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        raise translate(exc, plan, relation) from exc
