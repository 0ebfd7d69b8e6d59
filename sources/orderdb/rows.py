"""Turning database rows into canonical orders: exact amounts, UTC times, mapped statuses."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from junction.core.model import Identifier, ModelError, Order, OrderItem, OrderStatus
from junction.plugins import ConfigInvalid, PermanentFailure
from junction.sources.orderdb.dialects import to_utc
from junction.sources.orderdb.plan import Plan

__all__ = ["RowMapper", "UnmappedStatus", "key_value", "text_of", "to_decimal"]

#: A database row (SQLAlchemy RowMapping) or an item object of a JSON column.
Row = Mapping[Any, Any]

#: float_hook: a price written 5.50 stays Decimal("5.50"), not a binary float.
_JSON = msgspec.json.Decoder(float_hook=Decimal)


class UnmappedStatus(ConfigInvalid):
    """Raised when a row's status has no mapping; ``value`` is the source's value."""

    def __init__(self, value: str, order_id: str) -> None:
        super().__init__(
            f"order {order_id!r} has status {value!r}, which has no mapping: add it to the "
            "status mapping (e.g. "
            f'{{"{value}": "cancelled"}})',
            field="status_map",
        )
        self.value = value


def to_decimal(value: Any) -> Decimal:
    """An exact decimal of a database number (a float is read as its shortest repr).

    Raises:
        ValueError: ``value`` is not a number.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # SQLite hands NUMERIC back as a float; repr is the shortest exact spelling of it.
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    raise ValueError(f"{type(value).__name__} {value!r} is not a number")


def key_value(value: Any) -> int | str:
    """A tie-breaking key as checkpoint state holds it (JSON: int or str)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return str(value)


def text_of(value: Any) -> str | None:
    """A value as identifier text (integral decimals without ``.0``); None when empty."""
    if value is None:
        return None
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    text = str(value).strip()
    return text or None


def _plain(value: Any) -> Any:
    """A property value as JSON holds it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


class RowMapper:
    """Maps rows of one plan to :class:`Order` values."""

    def __init__(self, plan: Plan, log: logging.Logger) -> None:
        self.plan = plan
        self.config = plan.config
        self.log = log

    def order(self, row: Row, item_rows: Sequence[Row] = ()) -> Order:
        """The order a row describes, with the lines of ``item_rows`` (or of its JSON column).

        Raises:
            UnmappedStatus: the status value has no mapping.
            PermanentFailure: the row can't be an order (no id, a negative amount, a
                column that is not a timestamp...), naming the order and the column.
        """
        columns = self.config.columns
        order_id = text_of(row[columns.order_id])
        if order_id is None:
            raise PermanentFailure(f"a row has no order id (column {columns.order_id!r} is empty)")
        try:
            lines = list(item_rows)
            if self.config.items is not None and self.config.items.json_column is not None:
                lines = self._json_lines(row[self.config.items.json_column])
            items = [item for line in lines if (item := self.item(line)) is not None]
            return Order(
                order_id=order_id,
                identifiers=self._identifiers(row, order_id),
                status=self._status(row, order_id),
                amount=self._amount(row[columns.amount]),
                currency=self._currency(row),
                items=items,
                created_at=to_utc(_required(row, columns.created_at), self.plan.tz),
                updated_at=to_utc(_required(row, columns.updated_at), self.plan.tz),
                properties={
                    name: _plain(row[column]) for name, column in self.config.properties.items()
                },
            )
        except (ValueError, TypeError, ModelError, msgspec.MsgspecError) as exc:
            raise PermanentFailure(f"order {order_id!r} can't be read: {exc}") from exc

    def _status(self, row: Row, order_id: str) -> OrderStatus:
        deleted = self.config.soft_delete_column
        if deleted is not None and row[deleted] not in (None, 0, False, "", "0"):
            return self.config.deleted_status
        value = text_of(row[self.config.columns.status])
        if value is None:
            raise ValueError(f"column {self.config.columns.status!r} (status) is empty")
        if value in self.config.status_map:
            return self.config.status_map[value]
        try:
            return OrderStatus(value.lower())
        except ValueError:
            raise UnmappedStatus(value, order_id) from None

    def _amount(self, value: Any) -> Decimal:
        if value is None:
            raise ValueError(f"column {self.config.columns.amount!r} (amount) is empty")
        amount = to_decimal(value)
        return amount.scaleb(-self.config.amount_scale) if self.config.amount_scale else amount

    def _currency(self, row: Row) -> str:
        column = self.config.columns.currency
        value = text_of(row[column]) if column is not None else None
        if value is None and self.config.currency is None:
            raise ValueError(f"column {column!r} (currency) is empty and no fixed currency is set")
        return (value or self.config.currency or "").upper()

    def _identifiers(self, row: Row, order_id: str) -> list[Identifier]:
        found: list[Identifier] = []
        for kind, column in self.config.identifiers.items():
            value = text_of(row[column])
            if value is None:
                continue
            scope = (self.config.wechat_app_id or "") if kind == "wechat_openid" else ""
            try:
                found.append(Identifier.of(kind, value, scope))
            except ModelError as exc:
                # The order still counts; only this identifier can't link it to a person.
                # The value may be personal data: log the column, never the value.
                self.log.warning(
                    "order %s: %s in column %r skipped: %s", order_id, kind, column, exc
                )
        return found

    def _json_lines(self, raw: Any) -> list[Row]:
        if raw is None or raw == "":
            return []
        if isinstance(raw, bytes | str):
            raw = _JSON.decode(raw)
        if not isinstance(raw, list) or not all(isinstance(line, dict) for line in raw):
            raise ValueError("the items column does not hold a JSON array of objects")
        return raw

    def item(self, line: Row) -> OrderItem | None:
        """One order line from an items row (or a JSON object), by the items mapping.

        A line of quantity 0 (removed or fully returned) is None: nothing was bought.
        """
        spec = self.config.items
        assert spec is not None
        sku = text_of(line.get(spec.sku))
        if sku is None:
            raise ValueError(f"an item has no SKU ({spec.sku!r})")
        quantity = line.get(spec.quantity) if spec.quantity else None
        price = line.get(spec.unit_price)
        if price is None:
            raise ValueError(f"item {sku!r} has no unit price ({spec.unit_price!r})")
        count = 1 if quantity is None else _whole(quantity)
        if count == 0:
            return None
        return OrderItem(
            sku=sku,
            name=(text_of(line.get(spec.name)) or "") if spec.name else "",
            quantity=count,
            unit_price=to_decimal(price),
        )


def _whole(value: Any) -> int:
    number = to_decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"quantity {value!r} is not a whole number")
    return int(number)


def _required(row: Row, column: str) -> Any:
    value = row[column]
    if value is None:
        raise ValueError(f"column {column!r} is empty")
    return value
