"""The ``orderdb`` source: orders pulled incrementally from a customer's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from junction.core.model import IdentifierType
from junction.plugins import (
    Capability,
    Checkpoint,
    CheckResult,
    ConnectorContext,
    ConnectorSpec,
    Kind,
    OrderRecord,
    PermanentFailure,
    Record,
    Source,
)
from junction.sources.orderdb.config import OrderDbConfig
from junction.sources.orderdb.inspection import check_plan
from junction.sources.orderdb.pages import fetch_items, fetch_page, position_of, start_position
from junction.sources.orderdb.plan import make_plan
from junction.sources.orderdb.rows import RowMapper, text_of
from junction.sources.orderdb.session import engine_for, read_only

__all__ = ["OrderDbSource"]


class OrderDbSource(Source[OrderDbConfig]):
    """Reads orders from PostgreSQL, MySQL/MariaDB or SQLite, read-only, by keyset pages."""

    spec = ConnectorSpec(
        name="orderdb",
        kind=Kind.SOURCE,
        title="Order database",
        description=(
            "Pulls orders from a table or a read-only query of your PostgreSQL, "
            "MySQL/MariaDB or SQLite database, incrementally by an updated-at column; "
            "cancellations and refunds arrive as status changes."
        ),
        config=OrderDbConfig,
        capabilities=frozenset({Capability.PULL}),
        produces=tuple(kind.value for kind in IdentifierType),
    )

    async def check(self, ctx: ConnectorContext[OrderDbConfig]) -> CheckResult:
        """Connect, find the table or query and every mapped column, and map a sample.

        Raises:
            AuthFailed: the database refused the user or password.
            ConfigInvalid: the config names something that does not exist or can't
                work, or the sampled orders have status values without a mapping.
        """
        return await check_plan(make_plan(ctx.config), ctx.log)

    async def read(
        self, ctx: ConnectorContext[OrderDbConfig]
    ) -> AsyncIterator[Record | Checkpoint]:
        """Yield the orders changed since ``ctx.state``, a Checkpoint after each page.

        Pages are ordered by (cursor, key) and each is read in its own read-only
        transaction, so the customer's database holds no snapshot while the hub
        commits. Checkpoints never move back, even while the lookback window re-reads
        rows before the saved cursor.

        Raises:
            ConfigInvalid: the config can't work, or a status has no mapping.
            AuthFailed: the database refused the credentials.
            Retryable: the database is unreachable or busy.
            PermanentFailure: a row can't be an order (it names the order and column).
        """
        plan = make_plan(ctx.config)
        mapper = RowMapper(plan, ctx.log)
        size = plan.config.batch_size
        after = start_position(ctx.state, timedelta(minutes=plan.config.lookback_minutes))
        saved = _saved_cursor(ctx.state)
        id_column = plan.config.columns.order_id
        async with engine_for(plan) as engine:
            while True:
                async with read_only(engine, plan) as conn:
                    rows = await fetch_page(conn, plan, after, size)
                    items = await fetch_items(conn, plan, [row[id_column] for row in rows])
                if not rows:
                    return
                # The whole page is mapped before any of it is yielded: a row that can't
                # be mapped stops the read at the last checkpoint, not halfway a page.
                page = [
                    mapper.order(row, items.get(text_of(row[id_column]) or "", ())) for row in rows
                ]
                for order in page:
                    yield OrderRecord(order=order)
                previous, after = after, position_of(plan, rows[-1])
                if after == previous and len(rows) == size:
                    # The database's order and its comparison disagree (a key whose
                    # type does not round-trip): stop rather than read one page forever.
                    raise PermanentFailure(
                        f"the read made no progress past {after.state()}: the key column "
                        f"{plan.key_column!r} must be unique and hold integers or text"
                    )
                if saved is None or after.cursor >= saved:
                    saved = after.cursor
                    yield Checkpoint(state=after.state())
                if len(rows) < size:
                    return


def _saved_cursor(state: dict[str, object]) -> datetime | None:
    cursor = state.get("cursor")
    # start_position has validated it already.
    return datetime.fromisoformat(cursor) if isinstance(cursor, str) else None
