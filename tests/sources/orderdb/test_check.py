"""``check`` and refusals on real databases: credentials, tables, columns, queries, and
the read-only transaction every read runs in."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
import pytest
import sqlalchemy as sa

from junction.plugins import AuthFailed, ConfigInvalid, ConnectorContext, PluginError, Retryable
from junction.sources.orderdb import OrderDbConfig, OrderDbSource
from junction.sources.orderdb.plan import make_plan
from junction.sources.orderdb.session import engine_for, execute, read_only

if TYPE_CHECKING:
    from conftest import Shop

WRONG_PASSWORD = "wrong-password-8841"


def chain(exc: BaseException) -> list[str]:
    """The text of an exception and of everything chained to it, as a log would show."""
    texts = []
    current: BaseException | None = exc
    while current is not None:
        texts.append(f"{current!s} {current.args!r}")
        current = current.__cause__ or current.__context__
    return texts


async def test_check_accepts_a_working_config(shop: Shop) -> None:
    await shop.add(shop.row(1), shop.row(2))

    result = await shop.check()

    assert result.ok, result.message
    assert "table 'orders' has every mapped column" in result.message
    assert "newest 2 orders read cleanly" in result.message
    assert {"id", "total", "updated_at"} <= set(result.details["columns"])
    assert result.details["sampled"] == 2


async def test_wrong_credentials_are_refused_without_echoing_the_password(shop: Shop) -> None:
    if shop.dialect == "sqlite":
        config = shop.config(password=WRONG_PASSWORD)
        expected: type[PluginError] = ConfigInvalid
    elif shop.dialect == "postgresql":
        # The test server trusts 127.0.0.1, so any password passes: an unknown role is
        # what it refuses, through the same authentication path (SQLSTATE 28xxx).
        url = shop.url.replace("://postgres@", "://junction_nobody@")
        config = shop.config(url=url, password=WRONG_PASSWORD)
        expected = AuthFailed
    else:
        config = shop.config(password=WRONG_PASSWORD)
        expected = AuthFailed

    with pytest.raises(expected) as checked:
        await shop.check(config)
    with pytest.raises(expected) as read:
        await shop.read(config)

    for refused in (checked.value, read.value):
        assert all(WRONG_PASSWORD not in text for text in chain(refused))
    if expected is AuthFailed:
        assert "Check the user name and password" in checked.value.message
    else:
        assert checked.value.field == "password"


async def test_an_unknown_column_is_named_with_the_available_ones(shop: Shop) -> None:
    columns = {**shop.raw_config()["columns"], "amount": "grand_total"}

    with pytest.raises(ConfigInvalid) as refused:
        await shop.check(shop.config(columns=columns))

    assert refused.value.field == "columns.amount"
    message = refused.value.message
    assert "column 'grand_total' (columns.amount) is not in table 'orders'" in message
    assert "its columns are: id, status, total, currency" in message


async def test_an_unknown_identifier_column_in_a_query_is_named(shop: Shop) -> None:
    query = "SELECT id, status, total, currency, created_at, updated_at, customer_id FROM orders"
    config = shop.config(table=None, query=query)

    with pytest.raises(ConfigInvalid) as refused:
        await shop.check(config)

    assert refused.value.field == "identifiers.phone"
    assert "column 'mobile' (identifiers.phone) is not in the query" in refused.value.message


async def test_an_unknown_table_is_named_with_the_existing_ones(shop: Shop) -> None:
    with pytest.raises(ConfigInvalid) as refused:
        await shop.check(shop.config(table="order"))

    assert refused.value.field == "table"
    assert "no table or view 'order' (did you mean 'orders'?)" in refused.value.message
    assert "customers, order_items, orders" in refused.value.message


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM orders",
        "UPDATE orders SET status = 'paid'",
        "SELECT * FROM orders; DROP TABLE orders",
        "WITH gone AS (DELETE FROM orders RETURNING *) SELECT * FROM gone",
        "SELECT * INTO orders_copy FROM orders",
        "SELECT * FROM orders FOR UPDATE",
    ],
)
async def test_a_query_that_is_not_one_read_only_select_is_refused(shop: Shop, query: str) -> None:
    await shop.add(shop.row(1), shop.row(2))
    config = shop.config(table=None, query=query)

    with pytest.raises(ConfigInvalid) as checked:
        await shop.check(config)
    with pytest.raises(ConfigInvalid):
        await shop.read(config)

    assert checked.value.field == "query"
    assert await shop.count() == 2


async def test_check_lists_every_unmapped_status_of_the_newest_orders(shop: Shop) -> None:
    statuses = ["paid", "WAIT_PAY", "TRADE_CLOSED", "WAIT_PAY"]
    await shop.add(*(shop.row(n, status=s) for n, s in enumerate(statuses, 1)))

    with pytest.raises(ConfigInvalid) as refused:
        await shop.check()

    assert refused.value.field == "status_map"
    assert "status values without a mapping: 'WAIT_PAY', 'TRADE_CLOSED'" in refused.value.message


async def test_check_reports_an_order_that_cannot_be_read(shop: Shop) -> None:
    await shop.add(shop.row(1), shop.row(2, total="-1.00"))

    result = await shop.check()

    assert not result.ok
    assert "order '2' can't be read" in result.message


async def test_reads_run_in_a_read_only_transaction(shop: Shop) -> None:
    await shop.add(shop.row(1))
    plan = make_plan(shop.config())

    with pytest.raises(ConfigInvalid, match="tried to write, in a read-only read"):
        async with engine_for(plan) as engine, read_only(engine, plan) as conn:
            await execute(conn, plan, plan.orders, sa.text("UPDATE orders SET status = 'x'"))

    (order,) = shop.orders(await shop.read())
    assert order.status == "paid"


@pytest.mark.parametrize("url", ["postgresql://reader@127.0.0.1:1/shop", "mysql://r@127.0.0.1:1/s"])
async def test_an_unreachable_database_fails_check_and_retries_reads(url: str) -> None:
    raw = {
        "url": url,
        "table": "orders",
        "currency": "CNY",
        "columns": {
            "order_id": "id",
            "status": "status",
            "amount": "total",
            "created_at": "created_at",
            "updated_at": "updated_at",
        },
    }
    ctx = ConnectorContext(connection="shop", config=msgspec.convert(raw, type=OrderDbConfig))

    result = await OrderDbSource().check(ctx)
    assert not result.ok
    assert "127.0.0.1" in result.message
    with pytest.raises(Retryable):
        await OrderDbSource().read(ctx).__anext__()


async def test_a_cursor_column_without_timestamps_is_refused(shop: Shop) -> None:
    await shop.add(shop.row(1))
    config = shop.config(cursor_column="total")

    with pytest.raises(ConfigInvalid) as checked:
        await shop.check(config)
    with pytest.raises(ConfigInvalid) as read:
        await shop.read(config)

    for refused in (checked.value, read.value):
        assert refused.field == "cursor_column"
        assert "'total' must hold timestamps" in refused.message
