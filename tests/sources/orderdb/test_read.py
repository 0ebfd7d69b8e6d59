"""Incremental reads on real SQLite, PostgreSQL and MariaDB databases: keyset pages,
checkpoints, ties, late rows, resumption and time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from junction.core.model import Identifier, IdentifierType, OrderStatus

if TYPE_CHECKING:
    from conftest import Shop

T0 = datetime(2024, 3, 1, 12, 0, 0)


def at(minutes: float) -> str:
    """The checkpoint cursor of T0 + ``minutes`` (the shop's zone is UTC by default)."""
    return (T0 + timedelta(minutes=minutes)).replace(tzinfo=UTC).isoformat()


async def test_initial_read_yields_every_order_then_a_checkpoint_per_page(shop: Shop) -> None:
    await shop.add(*(shop.row(n) for n in range(1, 6)))

    items = await shop.read(shop.config(batch_size=2))

    assert shop.ids(items) == ["1", "2", "3", "4", "5"]
    assert shop.states(items) == [
        {"cursor": at(2), "key": 2},
        {"cursor": at(4), "key": 4},
        {"cursor": at(5), "key": 5},
    ]
    # Each checkpoint follows the records it covers.
    kinds = ["o" if type(item).__name__ == "OrderRecord" else "c" for item in items]
    assert "".join(kinds) == "oocoococ"
    first = shop.orders(items)[0]
    assert first.status is OrderStatus.PAID
    assert first.amount == Decimal("19.99")
    assert first.currency == "CNY"
    assert first.created_at == datetime(2024, 3, 1, 11, 1, tzinfo=UTC)
    assert first.updated_at == datetime(2024, 3, 1, 12, 1, tzinfo=UTC)
    assert first.identifiers == [
        Identifier(IdentifierType.USER_ID, "c1"),
        Identifier(IdentifierType.PHONE, "+8613800000001"),
        Identifier(IdentifierType.EMAIL, "buyer1@example.com"),
    ]


async def test_amounts_are_exact_decimals(shop: Shop) -> None:
    amounts = ["0.10", "0.20", "9999999999.99", "0.00", "1234.5"]
    await shop.add(*(shop.row(n, total=total) for n, total in enumerate(amounts, 1)))

    read = shop.orders(await shop.read())

    assert [order.amount for order in read] == [Decimal(a) for a in amounts]
    assert all(isinstance(order.amount, Decimal) for order in read)
    assert sum(order.amount for order in read[:2]) == Decimal("0.30")


async def test_incremental_read_sees_inserts_and_cancellations(shop: Shop) -> None:
    await shop.add(*(shop.row(n) for n in range(1, 6)))
    first = await shop.read()
    state = shop.states(first)[-1]
    assert state == {"cursor": at(5), "key": 5}

    await shop.update(2, status="cancelled", updated_at=T0 + timedelta(minutes=10))
    await shop.add(shop.row(6, updated=T0 + timedelta(minutes=11)))
    second = await shop.read(state=state)

    assert shop.ids(second) == ["2", "6"]
    assert [o.status for o in shop.orders(second)] == [OrderStatus.CANCELLED, OrderStatus.PAID]
    assert shop.states(second) == [{"cursor": at(11), "key": 6}]

    third = await shop.read(state=shop.states(second)[-1])
    assert third == []


async def test_ties_on_the_cursor_across_page_boundaries(shop: Shop) -> None:
    # Seven orders changed in the same instant, inserted out of key order.
    await shop.add(*(shop.row(n, updated=T0) for n in (5, 2, 7, 1, 4, 6, 3)))
    config = shop.config(batch_size=3)

    items = await shop.read(config)

    assert shop.ids(items) == ["1", "2", "3", "4", "5", "6", "7"]
    assert shop.states(items) == [
        {"cursor": at(0), "key": 3},
        {"cursor": at(0), "key": 6},
        {"cursor": at(0), "key": 7},
    ]
    # Resuming inside the tie skips nothing and repeats nothing.
    resumed = await shop.read(config, state=shop.states(items)[0])
    assert shop.ids(resumed) == ["4", "5", "6", "7"]


async def test_resume_from_a_checkpoint_reads_the_rest_exactly_once(shop: Shop) -> None:
    await shop.add(*(shop.row(n) for n in range(1, 8)))
    config = shop.config(batch_size=2)

    interrupted = await shop.read(config, checkpoints=2)
    assert shop.ids(interrupted) == ["1", "2", "3", "4"]
    resumed = await shop.read(config, state=shop.states(interrupted)[-1])

    assert shop.ids(resumed) == ["5", "6", "7"]
    assert shop.ids(interrupted) + shop.ids(resumed) == shop.ids(await shop.read(config))


async def test_a_late_row_inside_the_lookback_window_is_read(shop: Shop) -> None:
    await shop.add(*(shop.row(n) for n in range(1, 4)))
    config = shop.config(lookback_minutes=10)
    state = shop.states(await shop.read(config))[-1]
    assert state == {"cursor": at(3), "key": 3}

    # Committed after that read, stamped before its cursor: a long transaction's row.
    await shop.add(
        shop.row(4, updated=T0 + timedelta(seconds=90)),
        shop.row(5, updated=T0 - timedelta(minutes=30)),  # older than the window
    )
    again = await shop.read(config, state=state)

    # The window re-reads 1-3 (the hub dedupes them by order id) and finds 4.
    assert shop.ids(again) == ["1", "4", "2", "3"]
    # The checkpoint never moves back while re-reading.
    assert shop.states(again) == [state]

    without_lookback = await shop.read(shop.config(lookback_minutes=0), state=state)
    assert shop.ids(without_lookback) == []


async def test_lookback_pages_before_the_saved_cursor_do_not_checkpoint(shop: Shop) -> None:
    await shop.add(*(shop.row(n) for n in range(1, 6)))
    config = shop.config(lookback_minutes=60, batch_size=2)
    state = {"cursor": at(5), "key": 5}

    items = await shop.read(config, state=state)

    assert shop.ids(items) == ["1", "2", "3", "4", "5"]
    assert shop.states(items) == [state]


async def test_naive_timestamps_are_read_in_the_configured_zone(shop: Shop) -> None:
    await shop.add(shop.row(1, updated=T0), shop.row(2, updated=T0 + timedelta(minutes=1)))
    config = shop.config(timezone="Asia/Shanghai", batch_size=1)

    items = await shop.read(config, checkpoints=1)

    (order,) = shop.orders(items)
    assert order.updated_at == datetime(2024, 3, 1, 4, 0, tzinfo=UTC)
    assert order.created_at == datetime(2024, 3, 1, 3, 0, tzinfo=UTC)
    # The state is UTC; binding it back converts to the shop's zone again.
    assert shop.states(items) == [{"cursor": "2024-03-01T04:00:00+00:00", "key": 1}]
    resumed = await shop.read(config, state=shop.states(items)[0])
    assert shop.ids(resumed) == ["2"]


@pytest.mark.parametrize("dialect", ["postgresql"])
async def test_timestamptz_columns_keep_their_own_zone(shop: Shop) -> None:
    async with shop.engine.begin() as conn:
        await conn.exec_driver_sql(
            "CREATE TABLE tz_orders (id int PRIMARY KEY, status text, total numeric, "
            "created_at timestamptz, updated_at timestamptz)"
        )
        await conn.exec_driver_sql(
            "INSERT INTO tz_orders VALUES "
            "(1, 'paid', 5, '2024-03-01 12:00+08', '2024-03-01 12:00+08'), "
            "(2, 'paid', 6, '2024-03-01 12:00+00', '2024-03-01 12:00+00')"
        )
    # A configured zone applies to naive values only.
    config = shop.config(
        table="tz_orders", identifiers={}, currency="CNY", timezone="America/New_York",
        columns={**shop.raw_config()["columns"], "currency": None},
        batch_size=1,
    )  # fmt: skip

    items = await shop.read(config, checkpoints=1)
    assert [o.updated_at for o in shop.orders(items)] == [datetime(2024, 3, 1, 4, tzinfo=UTC)]
    resumed = await shop.read(config, state=shop.states(items)[0])
    assert [o.updated_at for o in shop.orders(resumed)] == [datetime(2024, 3, 1, 12, tzinfo=UTC)]


async def test_rows_without_a_cursor_value_are_not_read(shop: Shop) -> None:
    await shop.add(shop.row(1), shop.row(2))
    config = shop.config(cursor_column="deleted_at")

    assert await shop.read(config) == []
