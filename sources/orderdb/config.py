"""The ``orderdb`` connection's config: where the orders are and how columns map to them.

Decoding checks shapes only (types, unknown fields, ranges). What needs thought across
fields (a table *or* a query, a single SELECT, a known driver, a real time zone) is
checked by :func:`junction.sources.orderdb.plan.make_plan`, which raises
:class:`~junction.plugins.ConfigInvalid` naming the field to fix.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from junction.core.model import CURRENCY_PATTERN, IdentifierType, OrderStatus
from junction.plugins import secret

__all__ = ["ItemsConfig", "OrderColumns", "OrderDbConfig"]

_Column = Annotated[str, Meta(min_length=1, max_length=128)]


def _column(title: str, description: str) -> Meta:
    return Meta(title=title, description=description, min_length=1, max_length=128)


class OrderColumns(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Which column of the order table (or query) holds each field of an order."""

    order_id: Annotated[str, _column("Order id", "Column with the order's id (unique).")]
    status: Annotated[str, _column("Status", "Column with the order's status.")]
    amount: Annotated[str, _column("Amount", "Column with what the buyer paid.")]
    created_at: Annotated[str, _column("Created at", "Column with when it was placed.")]
    updated_at: Annotated[str, _column("Updated at", "Column with when it last changed.")]
    currency: Annotated[
        str | None,
        Meta(
            title="Currency",
            description="Column with the ISO 4217 currency code; leave empty to use the "
            "fixed currency of the connection.",
        ),
    ] = None


class ItemsConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Where an order's lines come from: a table, a query, or a JSON column of the order.

    For a JSON column, the column holds an array of objects and the field names below
    are the keys of those objects.
    """

    table: Annotated[
        str | None,
        Meta(title="Items table", description="A table of order lines (`schema.table` allowed)."),
    ] = None
    query: Annotated[
        str | None,
        Meta(title="Items query", description="A single SELECT returning order lines."),
    ] = None
    json_column: Annotated[
        str | None,
        Meta(
            title="JSON column",
            description="A column of the order row holding its lines as a JSON array.",
        ),
    ] = None
    order_id: Annotated[str, _column("Order id", "Column of the items holding the order's id.")] = (
        "order_id"
    )
    sku: Annotated[str, _column("SKU", "Column (or JSON key) with the product's SKU.")] = "sku"
    name: Annotated[
        str | None, Meta(title="Name", description="Column (or JSON key) with the product name.")
    ] = None
    quantity: Annotated[
        str | None,
        Meta(title="Quantity", description="Column (or JSON key) with the quantity (default 1)."),
    ] = None
    unit_price: Annotated[
        str, _column("Unit price", "Column (or JSON key) with the price of one.")
    ] = "unit_price"


class OrderDbConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """An order database to pull orders from, incrementally, without writing to it."""

    url: Annotated[
        str,
        Meta(
            title="Database URL",
            description="A SQLAlchemy URL without the password, e.g. "
            "`postgresql://reader@db.example:5432/shop`, `mysql://reader@db.example/shop` or "
            "`sqlite:///var/shop.db`. The async driver is chosen for you.",
            min_length=1,
        ),
    ]
    password: Annotated[
        str, secret("Password", "The database user's password; stored encrypted.")
    ] = ""
    table: Annotated[
        str | None,
        Meta(
            title="Table",
            description="The table (or view) of orders, `schema.table` allowed. "
            "Give a table or a query, not both.",
        ),
    ] = None
    query: Annotated[
        str | None,
        Meta(
            title="Query",
            description="A single read-only SELECT returning one row per order, used "
            "instead of a table.",
        ),
    ] = None
    columns: Annotated[OrderColumns, Meta(title="Columns", description="Column mapping.")]
    identifiers: Annotated[
        dict[IdentifierType, _Column],
        Meta(
            title="Customer identifiers",
            description='Identifier type to column, e.g. {"user_id": "customer_id", '
            '"phone": "mobile", "email": "email"}.',
            extra_json_schema={"propertyNames": {"enum": [t.value for t in IdentifierType]}},
        ),
    ] = {}
    wechat_app_id: Annotated[
        str | None,
        Meta(
            title="WeChat app id",
            description="The app id that mapped `wechat_openid` values belong to.",
        ),
    ] = None
    currency: Annotated[
        Annotated[str, Meta(pattern=CURRENCY_PATTERN)] | None,
        Meta(
            title="Fixed currency",
            description="The ISO 4217 code of every amount (e.g. `CNY`), when no column holds it.",
        ),
    ] = None
    amount_scale: Annotated[
        int,
        Meta(
            title="Amount scale",
            description="Decimal places amounts are stored shifted by: 2 when the column "
            "holds cents (fen) as integers, 0 when it holds the amount itself.",
            ge=0,
            le=6,
        ),
    ] = 0
    status_map: Annotated[
        dict[str, OrderStatus],
        Meta(
            title="Status mapping",
            description='Source status value to order status, e.g. {"TRADE_CLOSED": '
            '"cancelled"}. Values already named like an order status map to it.',
        ),
    ] = {}
    soft_delete_column: Annotated[
        str | None,
        Meta(
            title="Soft-delete column",
            description="A column that is set (not null, not 0) on deleted orders; they "
            "arrive with the deleted status.",
        ),
    ] = None
    deleted_status: Annotated[
        OrderStatus,
        Meta(title="Deleted status", description="The status soft-deleted orders arrive with."),
    ] = OrderStatus.CANCELLED
    items: Annotated[
        ItemsConfig | None, Meta(title="Items", description="Where order lines come from.")
    ] = None
    properties: Annotated[
        dict[str, _Column],
        Meta(
            title="Extra properties",
            description='Order property to column, e.g. {"channel": "sales_channel"}.',
        ),
    ] = {}
    cursor_column: Annotated[
        str | None,
        Meta(
            title="Cursor column",
            description="The timestamp column incremental reads follow; defaults to the "
            "updated-at column. It must change whenever the order does.",
        ),
    ] = None
    key_column: Annotated[
        str | None,
        Meta(
            title="Tie-breaking key",
            description="A unique, non-null column ordering rows with equal cursors; "
            "defaults to the order id column.",
        ),
    ] = None
    timezone: Annotated[
        str,
        Meta(
            title="Time zone",
            description="The IANA time zone naive timestamps of the database are in, "
            "e.g. `Asia/Shanghai`.",
            min_length=1,
        ),
    ] = "UTC"
    lookback_minutes: Annotated[
        int,
        Meta(
            title="Lookback (minutes)",
            description="Each read starts this far before the last cursor, to catch rows "
            "committed late with an earlier timestamp; re-read orders are deduplicated.",
            ge=0,
            le=10_080,
        ),
    ] = 5
    batch_size: Annotated[
        int,
        Meta(
            title="Batch size",
            description="Rows per page; a checkpoint follows each page.",
            ge=1,
            le=50_000,
        ),
    ] = 1000
