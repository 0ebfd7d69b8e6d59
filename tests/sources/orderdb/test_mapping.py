"""From rows to orders on real databases: items, statuses, soft deletes, query mode."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from junction.core.model import OrderItem, OrderStatus
from junction.plugins import Checkpoint, ConfigInvalid, PermanentFailure

if TYPE_CHECKING:
    from conftest import Shop

ITEMS = {
    "order_id": "order_id",
    "sku": "sku",
    "name": "title",
    "quantity": "qty",
    "unit_price": "price",
}


async def add_lines(shop: Shop) -> None:
    await shop.add(shop.row(1), shop.row(2), shop.row(3))
    await shop.insert(
        shop.tables["order_items"],
        {"order_id": 1, "sku": "TEA-01", "title": "Green tea", "qty": 2, "price": "5.50"},
        {"order_id": 1, "sku": "CUP-02", "title": "Cup", "qty": 1, "price": "8.99"},
        {"order_id": 3, "sku": "TEA-01", "title": "Green tea", "qty": 0, "price": "5.50"},
    )


async def test_items_from_a_table(shop: Shop) -> None:
    await add_lines(shop)
    config = shop.config(items={**ITEMS, "table": "order_items"}, batch_size=2)

    by_id = {order.order_id: order for order in shop.orders(await shop.read(config))}

    assert by_id["1"].items == [
        OrderItem(sku="CUP-02", name="Cup", quantity=1, unit_price=Decimal("8.99")),
        OrderItem(sku="TEA-01", name="Green tea", quantity=2, unit_price=Decimal("5.50")),
    ]
    assert by_id["2"].items == []
    assert by_id["3"].items == []  # a line of quantity 0 bought nothing


async def test_items_from_a_query(shop: Shop) -> None:
    await add_lines(shop)
    query = "SELECT order_id, sku, title, qty, price FROM order_items WHERE sku <> 'CUP-02'"
    config = shop.config(items={**ITEMS, "query": query})

    by_id = {order.order_id: order for order in shop.orders(await shop.read(config))}

    assert [item.sku for item in by_id["1"].items] == ["TEA-01"]


async def test_items_from_a_json_column(shop: Shop) -> None:
    lines = '[{"sku": "TEA-01", "qty": 2, "price": 5.50}, {"sku": 7, "price": "0.10"}]'
    await shop.add(shop.row(1, lines=lines), shop.row(2, lines=None))
    config = shop.config(items={"json_column": "lines", "quantity": "qty", "unit_price": "price"})

    first, second = shop.orders(await shop.read(config))

    assert first.items == [
        OrderItem(sku="TEA-01", quantity=2, unit_price=Decimal("5.50")),
        OrderItem(sku="7", quantity=1, unit_price=Decimal("0.10")),
    ]
    assert second.items == []


async def test_status_mapping_and_status_names(shop: Shop) -> None:
    statuses = ["WAIT_PAY", "TRADE_SUCCESS", "TRADE_CLOSED", "refunded", "Shipped"]
    await shop.add(*(shop.row(n, status=s) for n, s in enumerate(statuses, 1)))
    status_map = {"WAIT_PAY": "pending", "TRADE_SUCCESS": "paid", "TRADE_CLOSED": "cancelled"}

    read = shop.orders(await shop.read(shop.config(status_map=status_map)))

    assert [order.status for order in read] == [
        OrderStatus.PENDING,
        OrderStatus.PAID,
        OrderStatus.CANCELLED,
        OrderStatus.REFUNDED,
        OrderStatus.SHIPPED,
    ]


async def test_an_unmapped_status_stops_the_read_after_the_last_good_page(shop: Shop) -> None:
    await shop.add(shop.row(1), shop.row(2), shop.row(3, status="MYSTERY"))
    seen: list[Any] = []

    with pytest.raises(ConfigInvalid) as refused:
        await shop.read(shop.config(batch_size=2), into=seen)

    assert refused.value.field == "status_map"
    assert "'MYSTERY'" in refused.value.message
    assert "order '3'" in refused.value.message
    # Orders 1 and 2 and their checkpoint came through; nothing of the bad page did.
    assert shop.ids(seen) == ["1", "2"]
    assert seen[-1] == Checkpoint(state={"cursor": shop.states(seen)[0]["cursor"], "key": 2})


async def test_soft_deleted_orders_arrive_with_the_deleted_status(shop: Shop) -> None:
    row = shop.row(2)
    await shop.add(shop.row(1), {**row, "deleted_at": row["updated_at"]})

    read = shop.orders(await shop.read(shop.config(soft_delete_column="deleted_at")))
    assert [o.status for o in read] == [OrderStatus.PAID, OrderStatus.CANCELLED]

    refunded = shop.config(soft_delete_column="deleted_at", deleted_status="refunded")
    assert shop.orders(await shop.read(refunded))[1].status is OrderStatus.REFUNDED


async def test_query_mode_with_a_join_properties_and_a_colon_literal(shop: Shop) -> None:
    await shop.insert(
        shop.tables["customers"], {"id": "c1", "tier": "gold"}, {"id": "c2", "tier": "staff"},
        {"id": "c3", "tier": "silver"},
    )  # fmt: skip
    await shop.add(shop.row(1), shop.row(2), shop.row(3, channel="app:ios"))
    query = (
        "SELECT o.id, o.status, o.total, o.currency, o.customer_id, o.channel, "
        "o.created_at, o.updated_at, c.tier FROM orders o "
        "JOIN customers c ON c.id = o.customer_id "
        "WHERE c.tier <> 'staff' AND o.channel <> 'app:android' -- staff orders are tests\n"
    )
    config = shop.config(
        table=None, query=query, identifiers={"user_id": "customer_id"},
        properties={"tier": "tier", "channel": "channel"}, batch_size=1,
    )  # fmt: skip

    items = await shop.read(config)

    assert shop.ids(items) == ["1", "3"]
    assert [o.properties for o in shop.orders(items)] == [
        {"tier": "gold", "channel": "web"},
        {"tier": "silver", "channel": "app:ios"},
    ]
    await shop.update(1, status="refunded", updated_at=shop.row(9)["updated_at"])
    again = await shop.read(config, state=shop.states(items)[-1])
    assert [(o.order_id, o.status) for o in shop.orders(again)] == [("1", OrderStatus.REFUNDED)]


async def test_fixed_currency_and_amounts_stored_in_cents(shop: Shop) -> None:
    await shop.add(shop.row(1, total="1999", currency=None), shop.row(2, currency="usd"))
    columns = {**shop.raw_config()["columns"]}
    config = shop.config(columns=columns, currency="CNY", amount_scale=2)

    first, second = shop.orders(await shop.read(config))

    assert (first.amount, first.currency) == (Decimal("19.99"), "CNY")
    assert (second.amount, second.currency) == (Decimal("0.1999"), "USD")


async def test_a_row_that_cannot_be_an_order_stops_the_read_naming_it(shop: Shop) -> None:
    await shop.add(shop.row(1), shop.row(2, total="-5.00"))

    with pytest.raises(PermanentFailure) as failed:
        await shop.read()

    assert "order '2'" in failed.value.message
    assert "amount" in failed.value.message


async def test_empty_identifiers_are_left_out(shop: Shop) -> None:
    await shop.add(shop.row(1, mobile=None, email="  "))

    (order,) = shop.orders(await shop.read())

    assert [i.type.value for i in order.identifiers] == ["user_id"]
