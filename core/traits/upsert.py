"""Insert-or-ignore / insert-or-replace, spelled the way each database wants it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["insert_ignore", "insert_rows", "upsert"]


def _insert(session: AsyncSession, table: Table) -> Any:
    dialect = session.bind.dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


async def insert_ignore(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert ``rows``, skipping those whose primary key is already there."""
    if rows:
        await session.execute(_insert(session, table).on_conflict_do_nothing(), list(rows))


async def upsert(session: AsyncSession, table: Table, row: dict[str, Any]) -> None:
    """Insert ``row`` or, if its primary key exists, overwrite its other columns."""
    keys = [column.name for column in table.primary_key.columns]
    statement = _insert(session, table).values(**row)
    changes = {name: statement.excluded[name] for name in row if name not in keys}
    await session.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes))


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows, by COPY on PostgreSQL.

    asyncpg's executemany costs a round trip per row; COPY streams them, inside the
    session's transaction (~10x faster for the promotion's bulk writes). SQLite's
    executemany runs in-process and is fast as it is. Rows must share their keys.
    """
    if not rows:
        return
    if session.bind.dialect.name != "postgresql":
        await session.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    connection = await (await session.connection()).get_raw_connection()
    await connection.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table.name, records=[tuple(row[c] for c in columns) for row in rows], columns=columns
    )
