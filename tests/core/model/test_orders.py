from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from junction.core.model import ModelError, Order, OrderItem, OrderStatus

T0 = datetime(2024, 5, 1, tzinfo=UTC)

ORDER = {
    "order_id": "SO-20240501-0001",
    "identifiers": [{"type": "phone", "value": "+8613800138000"}],
    "status": "paid",
    "amount": "199.90",
    "currency": "CNY",
    "items": [
        {"sku": "TEA-01", "name": "Longjing", "quantity": 2, "unit_price": "119.90"},
        {"sku": "CUP-02", "quantity": 1, "unit_price": 10},
    ],
    "created_at": "2024-05-01T10:00:00+08:00",
    "updated_at": "2024-05-01T10:05:00+08:00",
    "properties": {"coupon": "MAY50", "store": "tmall"},
}


def decode(**patch: Any) -> Order:
    try:
        return msgspec.json.decode(json.dumps({**ORDER, **patch}), type=Order)
    except msgspec.ValidationError as exc:
        raise ModelError.from_msgspec(exc) from exc


def test_decodes_an_order_with_exact_amounts() -> None:
    order = decode()

    assert order.status is OrderStatus.PAID
    assert order.amount == Decimal("199.90")
    assert order.items[0] == OrderItem(
        sku="TEA-01", name="Longjing", quantity=2, unit_price=Decimal("119.90")
    )
    assert order.items[1].unit_price == Decimal(10)
    assert order.created_at == datetime(2024, 5, 1, 2, tzinfo=UTC)
    # The amount is not the sum of the lines (a coupon applied): that is allowed.
    assert order.amount != sum(i.unit_price * i.quantity for i in order.items)


def test_amounts_survive_a_round_trip_without_float_rounding() -> None:
    order = decode(amount=0.1)

    wire = json.loads(msgspec.json.encode(order))

    assert order.amount == Decimal("0.1")
    assert wire["amount"] == "0.1"
    assert msgspec.json.decode(msgspec.json.encode(order), type=Order) == order


@pytest.mark.parametrize(
    ("patch", "path"),
    [
        ({"amount": "-0.01"}, "$.amount"),
        ({"amount": "NaN"}, "$.amount"),
        ({"amount": "Infinity"}, "$.amount"),
        ({"currency": "cny"}, "$.currency"),
        ({"currency": "CNY\n"}, "$.currency"),
        ({"currency": "RMB1"}, "$.currency"),
        ({"order_id": ""}, "$.order_id"),
        ({"status": "lost"}, "$.status"),
        ({"created_at": "2024-05-01T10:00:00"}, "$.created_at"),
        ({"items": [{"sku": "A", "quantity": 0, "unit_price": "1"}]}, "$.items[0].quantity"),
        ({"items": [{"sku": "A", "unit_price": "NaN"}]}, "$.items[0].unit_price"),
        ({"identifiers": [{"type": "wechat_openid", "value": "o"}]}, "$.identifiers[0]"),
    ],
)
def test_invalid_orders_are_refused_at_the_field(patch: dict[str, Any], path: str) -> None:
    with pytest.raises(ModelError) as caught:
        decode(**patch)

    assert caught.value.path == path


def order(**fields: Any) -> Order:
    base: dict[str, Any] = {
        "order_id": "SO-1",
        "status": OrderStatus.PENDING,
        "amount": Decimal("10"),
        "currency": "USD",
        "created_at": T0,
        "updated_at": T0,
    }
    return Order(**{**base, **fields})


def test_orders_built_in_python_are_validated_too() -> None:
    assert order(amount=100).amount == Decimal(100)  # an int is exact
    assert order(amount=Decimal(0)).amount == 0

    with pytest.raises(ModelError, match=">= 0"):
        order(amount=Decimal("-1"))
    with pytest.raises(ModelError, match="Expected `decimal`, got `float`"):
        order(amount=9.99)
    with pytest.raises(ModelError, match="timezone"):
        order(updated_at=datetime(2024, 5, 1))
    with pytest.raises(ModelError) as caught:
        OrderItem(sku="A", quantity=0, unit_price=Decimal(1))
    assert caught.value.path == "$.quantity"


def test_negative_unit_prices_are_allowed_for_discount_lines() -> None:
    line = OrderItem(sku="DISCOUNT", quantity=1, unit_price=Decimal("-5.00"))

    assert order(items=[line]).items == [line]
