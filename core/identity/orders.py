"""Orders in ID-mapping: an order's customer identifiers link like an event's.

Sources store orders with the identifiers they carry and no profile; the resolver
claims pending orders with its event batch, so an order placed by phone joins the
profile that phone belongs to (and can link that phone to a user id on the order).
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import Order
from junction.core.identity.keys import PreparedKey, prepare_keys
from junction.core.model import Identifier
from junction.core.pii import PiiRegistry


#: Orders share the observation numbering with events; negative refs keep them apart.
def order_ref(order_id: int) -> int:
    return -order_id


async def claim_orders(session: AsyncSession, limit: int) -> list[Any]:
    query = (
        select(Order.id, Order.source_id, Order.order_id, Order.identifiers, Order.updated_at)
        .where(Order.resolution == 0)
        .order_by(Order.id)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list((await session.execute(query)).all())


def order_keys(row: Any, registry: PiiRegistry) -> list[PreparedKey]:
    identifiers = []
    for item in row.identifiers or []:
        try:
            identifiers.append(
                Identifier.of(item["type"], str(item["value"]), item.get("scope", ""))
            )
        except (KeyError, TypeError, ValueError, msgspec.ValidationError):
            continue  # stored by a source from an older model: skip what no longer parses
    return prepare_keys(identifiers, registry)[0]


async def write_order_outcomes(
    session: AsyncSession, rows: list[Any], profiles: dict[int, int | None]
) -> None:
    """Set each order's profile (or mark it unresolvable: no usable identifier)."""
    if not rows:
        return
    orders = Order.__table__
    await session.execute(
        update(orders)
        .where(orders.c.id == bindparam("oid"))
        .values(profile_id=bindparam("pid"), resolution=bindparam("state")),
        [
            {
                "oid": row.id,
                "pid": profiles.get(row.id),
                "state": 1 if profiles.get(row.id) is not None else 2,
            }
            for row in rows
        ],
    )
