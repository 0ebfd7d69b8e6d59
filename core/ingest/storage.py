"""The SQL of one group commit: events, orders and counters, on SQLite and PostgreSQL.

Everything here runs inside the writer's transaction on one connection and uses
``INSERT ... ON CONFLICT``, which both databases support with the same meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import delete, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from junction.core.db.tables import CatalogItem as CatalogItemRow
from junction.core.db.tables import Event as EventRow
from junction.core.db.tables import Order as OrderRow
from junction.core.db.tables import OrderItem as OrderItemRow
from junction.core.db.types import utcnow
from junction.core.ingest.records import identifier_dicts
from junction.core.model import Order
from junction.plugins.records import ItemRecord

__all__ = ["insert_events", "order_row", "upsert_items", "upsert_orders"]

_events = EventRow.__table__
_orders = OrderRow.__table__
_items = OrderItemRow.__table__
_catalog = CatalogItemRow.__table__
_json = msgspec.json.Encoder().encode
_ORDER_UPDATES = (
    "status",
    "amount",
    "currency",
    "identifiers",
    "properties",
    "created_at",
    "updated_at",
)


def _insert(conn: AsyncConnection, table: Any) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def insert_events(
    conn: AsyncConnection, rows: Sequence[dict[str, Any]]
) -> set[tuple[int, str]]:
    """Insert ``rows`` (unique by source and message id), skipping those already stored.

    Every row is stored unresolved (``profile_id`` NULL, ``resolution`` 0).

    Returns:
        The (source_id, message_id) of the rows that were inserted; the others were
        duplicates of rows committed earlier.
    """
    if not rows:
        return set()
    if conn.dialect.name == "postgresql":
        result = await conn.execute(_PG_INSERT_EVENTS, _columns(rows))
    else:
        statement = (
            sqlite.insert(_events)
            .on_conflict_do_nothing(index_elements=["source_id", "message_id"])
            .returning(_events.c.source_id, _events.c.message_id)
        )
        result = await conn.execute(statement, list(rows))
    return {(row.source_id, row.message_id) for row in result}


# On PostgreSQL the rows travel as one array per column and are unnested server-side:
# the statement text never changes (so asyncpg prepares it once per connection) and a
# group of any size is one round trip with 15 parameters.
_PG_TYPES = {
    "source_id": "bigint[]",
    "message_id": "varchar[]",
    "type": "varchar[]",
    "name": "varchar[]",
    "user_id": "varchar[]",
    "anonymous_id": "varchar[]",
    "previous_id": "varchar[]",
    "group_id": "varchar[]",
    "timestamp": "timestamptz[]",
    "original_timestamp": "timestamptz[]",
    "sent_at": "timestamptz[]",
    "received_at": "timestamptz[]",
    "properties": "jsonb[]",
    "traits": "jsonb[]",
    "context": "jsonb[]",
}
_JSON_COLUMNS = ("properties", "traits", "context")
_PG_INSERT_EVENTS = text(
    "INSERT INTO events (source_id, message_id, type, name, user_id, anonymous_id, "
    'previous_id, group_id, "timestamp", original_timestamp, sent_at, received_at, '
    "properties, traits, context, profile_id, resolution) "
    "SELECT *, NULL, 0 FROM unnest("
    + ", ".join(f"CAST(:{name} AS {kind})" for name, kind in _PG_TYPES.items())
    + ") ON CONFLICT (source_id, message_id) DO NOTHING RETURNING source_id, message_id"
)


def _columns(rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {
        name: [row[name] for row in rows] for name in _PG_TYPES if name not in _JSON_COLUMNS
    }
    for name in _JSON_COLUMNS:
        # The driver's jsonb codec (set up by SQLAlchemy) takes JSON text.
        columns[name] = [_json(row[name]).decode() for row in rows]
    return columns


def order_row(source_id: int, order: Order) -> dict[str, Any]:
    """The ``orders`` row of ``order``: buyer unresolved (``profile_id`` NULL)."""
    return {
        "source_id": source_id,
        "order_id": order.order_id,
        "profile_id": None,
        "status": order.status.value,
        "amount": order.amount,
        "currency": order.currency,
        "identifiers": identifier_dicts(order.identifiers),
        "properties": order.properties,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


async def upsert_orders(conn: AsyncConnection, source_id: int, orders: Sequence[Order]) -> int:
    """Insert or update ``orders`` of ``source_id`` by order id, replacing their items.

    A stored order is updated only when the incoming one is at least as new
    (``updated_at``), so re-reading an old state cannot roll an order back.

    Returns:
        How many orders were inserted or updated; the rest were stale or repeated.
    """
    latest: dict[str, Order] = {}
    for order in orders:
        # One statement may not touch a row twice: keep the newest state of each id.
        held = latest.get(order.order_id)
        if held is None or order.updated_at >= held.updated_at:
            latest[order.order_id] = order
    if not latest:
        return 0
    statement = _insert(conn, _orders)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["source_id", "order_id"],
        set_={name: excluded[name] for name in _ORDER_UPDATES},
        where=_orders.c.updated_at <= excluded.updated_at,
    ).returning(_orders.c.id, _orders.c.order_id)
    rows = [order_row(source_id, order) for order in latest.values()]
    written = {row.order_id: row.id for row in await conn.execute(statement, rows)}
    if written:
        await conn.execute(delete(_items).where(_items.c.order_pk.in_(written.values())))
        items = [
            {
                "order_pk": pk,
                "sku": item.sku,
                "name": item.name or None,
                "quantity": item.quantity,
                "unit_price": item.unit_price,
            }
            for order_id, pk in written.items()
            for item in latest[order_id].items
        ]
        if items:
            await conn.execute(insert(_items), items)
    return len(written)


async def upsert_items(conn: AsyncConnection, source_id: int, items: Sequence[ItemRecord]) -> int:
    """Insert or update catalog ``items`` of ``source_id``, the newest state winning.

    A stored item changes only when the incoming state is newer (``observed_at``), so a
    late, older ``item_set`` can't undo an ``item_delete``, and a resent state is a
    duplicate.

    Returns:
        How many items were inserted or updated; the rest were stale or repeated.
    """
    latest: dict[tuple[str, str], ItemRecord] = {}
    for item in items:
        key = (item.item_type, item.item_id)
        held = latest.get(key)
        if held is None or item.observed_at >= held.observed_at:
            latest[key] = item
    if not latest:
        return 0
    now = utcnow()
    statement = _insert(conn, _catalog)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["source_id", "item_type", "item_id"],
        set_={
            "properties": excluded.properties,
            "observed_at": excluded.observed_at,
            "deleted": excluded.deleted,
            "updated_at": excluded.updated_at,
        },
        where=_catalog.c.observed_at < excluded.observed_at,
    ).returning(_catalog.c.id)
    rows = [
        {
            "source_id": source_id,
            "item_type": item.item_type,
            "item_id": item.item_id,
            "properties": dict(item.properties),
            "observed_at": item.observed_at,
            "deleted": item.deleted,
            "updated_at": now,
        }
        for item in latest.values()
    ]
    return len((await conn.execute(statement, rows)).all())
