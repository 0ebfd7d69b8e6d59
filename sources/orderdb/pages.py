"""Keyset pages of orders, ordered by (cursor, key), and the items of a page.

``WHERE (cursor, key) > (:c, :k)`` is written out as ``cursor > :c OR (cursor = :c AND
key > :k)``: row-value comparison is not portable (SQLite before 3.15, and MySQL's
optimizer ignores indexes for it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from junction.plugins import ConfigInvalid
from junction.sources.orderdb.plan import CURSOR_LABEL, Plan
from junction.sources.orderdb.rows import key_value, text_of
from junction.sources.orderdb.session import execute

__all__ = [
    "Position",
    "fetch_items",
    "fetch_page",
    "page_statement",
    "position_of",
    "start_position",
]


@dataclass(frozen=True)
class Position:
    """Where a read stands: after (``cursor``, ``key``), or at ``cursor`` if key is None."""

    cursor: datetime
    key: int | str | None = None

    def state(self) -> dict[str, Any]:
        """As checkpoint state: the cursor as ISO 8601 in UTC, the key as int or str."""
        return {"cursor": self.cursor.isoformat(), "key": self.key}


def start_position(state: Mapping[str, Any], lookback: timedelta) -> Position | None:
    """Where a read starts: the checkpoint, or ``lookback`` before it; None for all rows.

    Raises:
        ConfigInvalid: the state was not written by this source.
    """
    if not state:
        return None
    cursor, key = state.get("cursor"), state.get("key")
    try:
        when = datetime.fromisoformat(cursor) if isinstance(cursor, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None or not isinstance(key, int | str | None):
        raise ConfigInvalid(
            f"the sync's saved state {dict(state)!r} is not an orderdb checkpoint: reset the "
            "sync's state to read from the beginning"
        )
    if lookback:
        # Inclusive from the earlier cursor: the rows there are re-read, and the hub
        # deduplicates them by order id.
        return Position(cursor=when - lookback)
    return Position(cursor=when, key=key)


def position_of(plan: Plan, row: sa.RowMapping) -> Position:
    """The position just after ``row``, a row of a page statement.

    Raises:
        ConfigInvalid: the cursor column does not hold timestamps.
    """
    try:
        cursor = plan.dialect.cursor_value(row[CURSOR_LABEL], plan.tz)
    except ValueError as exc:
        raise ConfigInvalid(
            f"the cursor column {plan.cursor_column!r} must hold timestamps: {exc}",
            field="cursor_column",
        ) from None
    return Position(cursor=cursor, key=key_value(row[plan.key_column]))


def page_statement(
    plan: Plan, after: Position | None, limit: int, *, newest_first: bool = False
) -> sa.Select[Any]:
    """The next ``limit`` orders after ``after``, or the newest ones for a sample."""
    source = plan.orders.selectable()
    cursor = plan.dialect.cursor_expression(source.c[plan.cursor_column])
    key = source.c[plan.key_column]
    statement = (
        sa.select(*source.c, cursor.label(CURSOR_LABEL))
        .where(cursor.is_not(None), key.is_not(None))
        .limit(limit)
    )
    if newest_first:
        return statement.order_by(cursor.desc(), key.desc())
    if after is not None:
        at = plan.dialect.cursor_param("cursor", after.cursor, plan.tz)
        if after.key is None:
            statement = statement.where(cursor >= at)
        else:
            bound = sa.bindparam("key", after.key, type_=_key_type(after.key))
            statement = statement.where(sa.or_(cursor > at, sa.and_(cursor == at, key > bound)))
    return statement.order_by(cursor, key)


def _key_type(key: int | str) -> sa.types.TypeEngine[Any]:
    # BigInteger: an Integer bind is cast to int4 on PostgreSQL, too small for bigint keys.
    return sa.BigInteger() if isinstance(key, int) else sa.String()


async def fetch_page(
    conn: AsyncConnection, plan: Plan, after: Position | None, limit: int
) -> list[sa.RowMapping]:
    """The rows of the next page, in (cursor, key) order."""
    result = await execute(conn, plan, plan.orders, page_statement(plan, after, limit))
    return list(result.mappings())


async def fetch_items(
    conn: AsyncConnection, plan: Plan, order_ids: Sequence[Any]
) -> dict[str, list[sa.RowMapping]]:
    """The item rows of the given orders, by order id as text, in a stable order."""
    if plan.items is None or not order_ids:
        return {}
    spec = plan.config.items
    assert spec is not None
    source = plan.items.selectable()
    statement = (
        sa.select(*source.c)
        .where(source.c[spec.order_id].in_(list(order_ids)))
        .order_by(source.c[spec.order_id], source.c[spec.sku])
    )
    grouped: dict[str, list[sa.RowMapping]] = defaultdict(list)
    for row in (await execute(conn, plan, plan.items, statement)).mappings():
        # Items may key orders by a differently typed column: match them as text.
        grouped[text_of(row[spec.order_id]) or ""].append(row)
    return grouped
