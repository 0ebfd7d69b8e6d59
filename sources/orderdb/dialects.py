"""What differs between PostgreSQL, MySQL/MariaDB and SQLite for a read-only cursor read.

Three things do: how a read-only transaction is opened, how cursor timestamps are
compared (SQLite keeps them as text), and what the cursor value looks like when bound
and when read back. Everything else is portable SQLAlchemy Core.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["Dialect", "dialect_for", "to_utc"]


def to_utc(value: Any, tz: ZoneInfo) -> datetime:
    """A timestamp read from the database as an aware UTC datetime.

    Naive values (and SQLite's text) are wall-clock times in ``tz``; a date is its
    midnight there.

    Raises:
        ValueError: ``value`` is not a timestamp.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if not isinstance(value, datetime):
        raise ValueError(f"{type(value).__name__} {value!r} is not a timestamp")
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


class Dialect:
    """The MySQL / MariaDB behaviour; the other dialects override what differs."""

    family = "mysql"

    async def begin_read_only(self, conn: AsyncConnection, tz: ZoneInfo) -> None:
        """Open a read-only transaction with one snapshot for a page and its items."""
        await conn.exec_driver_sql("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")

    def cursor_expression(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        """What rows are ordered and compared by: the cursor column itself."""
        return column

    def cursor_param(self, name: str, value: datetime, tz: ZoneInfo) -> sa.ColumnElement[Any]:
        """The bound cursor: naive wall-clock time in ``tz``, as DATETIME columns hold it."""
        naive = value.astimezone(tz).replace(tzinfo=None)
        return sa.bindparam(name, naive, type_=sa.DateTime())

    def cursor_value(self, raw: Any, tz: ZoneInfo) -> datetime:
        """The cursor of a row, as read through :meth:`cursor_expression`, in UTC."""
        return to_utc(raw, tz)


class PostgresDialect(Dialect):
    family = "postgresql"

    async def begin_read_only(self, conn: AsyncConnection, tz: ZoneInfo) -> None:
        await conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # Comparing a `timestamp` column with the bound `timestamptz` converts the
        # column in the session's zone: make that the zone its values are written in.
        await conn.execute(sa.select(sa.func.set_config("TimeZone", tz.key, True)))

    def cursor_param(self, name: str, value: datetime, tz: ZoneInfo) -> sa.ColumnElement[Any]:
        aware = sa.DateTime(timezone=True)
        return sa.cast(sa.bindparam(name, value.astimezone(UTC), type_=aware), aware)


class SqliteDialect(Dialect):
    family = "sqlite"
    #: SQLite compares text: normalize both sides to one sortable form (milliseconds).
    _FORMAT = "%Y-%m-%d %H:%M:%f"

    async def begin_read_only(self, conn: AsyncConnection, tz: ZoneInfo) -> None:
        # The file is opened with mode=ro (see url.py): SQLite itself refuses writes.
        return None

    def cursor_expression(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.func.strftime(self._FORMAT, column)

    def cursor_param(self, name: str, value: datetime, tz: ZoneInfo) -> sa.ColumnElement[Any]:
        local = value.astimezone(tz)
        text = f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond // 1000:03d}"
        return sa.bindparam(name, text, type_=sa.String())


_DIALECTS: dict[str, Dialect] = {
    "mysql": Dialect(),
    "postgresql": PostgresDialect(),
    "sqlite": SqliteDialect(),
}


def dialect_for(family: str) -> Dialect:
    """The dialect of a family named by :func:`junction.sources.orderdb.url.database_url`."""
    return _DIALECTS[family]
