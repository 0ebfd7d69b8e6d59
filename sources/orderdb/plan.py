"""A validated, resolved config: what to connect to, what to select, how to map it."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.engine import URL

from junction.core.model import IdentifierType
from junction.plugins import ConfigInvalid
from junction.sources.orderdb.config import ItemsConfig, OrderDbConfig
from junction.sources.orderdb.dialects import Dialect, dialect_for
from junction.sources.orderdb.sqlguard import ensure_select
from junction.sources.orderdb.url import database_url

__all__ = ["CURSOR_LABEL", "Plan", "Relation", "make_plan"]

#: The label of the cursor expression in page queries; unlikely to clash with a column.
CURSOR_LABEL = "junction_cursor__"


@dataclass(frozen=True)
class Relation:
    """A table or a read-only query rows are selected from, and the columns needed.

    ``columns`` maps each column to the config field that names it (for messages).
    """

    table: str | None
    query: str | None
    columns: dict[str, str]
    field: str

    @property
    def label(self) -> str:
        """How messages name it: the table, or "the query"."""
        return f"table {self.table!r}" if self.table else "the query"

    def selectable(self, *, all_columns: bool = False) -> sa.FromClause:
        """The relation as a FROM clause, exposing ``columns`` (or none, for ``*``)."""
        names = [] if all_columns else list(self.columns)
        if self.table is not None:
            schema, _, name = self.table.rpartition(".")
            return sa.table(name, *(sa.column(c) for c in names), schema=schema or None)
        assert self.query is not None
        # text() reads `:word` as a bind parameter: escape colons the query means literally.
        escaped = self.query.replace(":", "\\:")
        return sa.text(escaped).columns(*(sa.column(c) for c in names)).subquery("junction_src")


@dataclass(frozen=True)
class Plan:
    """Everything a check or read needs, resolved from an :class:`OrderDbConfig`."""

    config: OrderDbConfig
    url: URL
    dialect: Dialect
    tz: ZoneInfo
    orders: Relation
    items: Relation | None
    cursor_column: str
    key_column: str


def make_plan(config: OrderDbConfig) -> Plan:
    """Validate what decoding can't and resolve defaults.

    Raises:
        ConfigInvalid: naming the field to fix.
    """
    url, family = database_url(config.url, config.password)
    tz = _zone(config.timezone)
    table, query = _one_source(config.table, config.query, family, "")
    if config.currency is None and config.columns.currency is None:
        raise ConfigInvalid(
            "no currency: map a currency column or set the fixed currency", field="currency"
        )
    if IdentifierType.WECHAT_OPENID in config.identifiers and not config.wechat_app_id:
        raise ConfigInvalid(
            "wechat_openid values only mean something within one WeChat app: set the "
            "WeChat app id they belong to",
            field="wechat_app_id",
        )
    cursor = config.cursor_column or config.columns.updated_at
    key = config.key_column or config.columns.order_id
    columns = _order_columns(config, cursor, key)
    items = None
    if config.items is not None:
        items = _items_relation(config.items, family)
    return Plan(
        config=config,
        url=url,
        dialect=dialect_for(family),
        tz=tz,
        orders=Relation(
            table=table, query=query, columns=columns, field="query" if query else "table"
        ),
        items=items,
        cursor_column=cursor,
        key_column=key,
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigInvalid(
            f"unknown time zone {name!r}: use an IANA name such as UTC or Asia/Shanghai",
            field="timezone",
        ) from None


def _one_source(
    table: str | None, query: str | None, family: str, prefix: str
) -> tuple[str | None, str | None]:
    if (table is None) == (query is None):
        raise ConfigInvalid(
            f"give either {prefix}table or {prefix}query, not both and not neither",
            field=f"{prefix}table",
        )
    if query is not None:
        return None, ensure_select(query, family, f"{prefix}query")
    assert table is not None
    if not table.strip() or table.startswith(".") or table.endswith("."):
        raise ConfigInvalid(f"{table!r} is not a table name", field=f"{prefix}table")
    return table.strip(), None


def _order_columns(config: OrderDbConfig, cursor: str, key: str) -> dict[str, str]:
    columns: dict[str, str] = {}

    def need(column: str | None, field: str) -> None:
        if column is not None:
            columns.setdefault(column, field)

    for name in ("order_id", "status", "amount", "currency", "created_at", "updated_at"):
        need(getattr(config.columns, name), f"columns.{name}")
    need(cursor, "cursor_column")
    need(key, "key_column")
    for kind, column in config.identifiers.items():
        need(column, f"identifiers.{kind.value}")
    for name, column in config.properties.items():
        need(column, f"properties.{name}")
    need(config.soft_delete_column, "soft_delete_column")
    if config.items is not None:
        need(config.items.json_column, "items.json_column")
    return columns


def _items_relation(items: ItemsConfig, family: str) -> Relation | None:
    sources = [items.table, items.query, items.json_column]
    if sum(source is not None for source in sources) != 1:
        raise ConfigInvalid(
            "give exactly one of items.table, items.query or items.json_column",
            field="items.table",
        )
    if items.json_column is not None:
        return None  # read from the order row itself
    table, query = _one_source(items.table, items.query, family, "items.")
    columns: dict[str, str] = {}
    for name in ("order_id", "sku", "name", "quantity", "unit_price"):
        column = getattr(items, name)
        if column is not None:
            columns.setdefault(column, f"items.{name}")
    return Relation(
        table=table, query=query, columns=columns, field="items.query" if query else "items.table"
    )
