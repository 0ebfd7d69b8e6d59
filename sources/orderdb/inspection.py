"""``check``: connect, find the table or query and every mapped column, map a sample.

Each failure names what to fix: the column and the config field that mentions it, with
the columns that do exist; the table, with the tables that do; the status values the
mapping misses.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from junction.plugins import CheckResult, ConfigInvalid, PermanentFailure, Retryable
from junction.sources.orderdb.pages import fetch_items, page_statement, position_of
from junction.sources.orderdb.plan import Plan, Relation
from junction.sources.orderdb.rows import RowMapper, UnmappedStatus, text_of
from junction.sources.orderdb.session import engine_for, execute, read_only
from junction.sources.orderdb.url import describe

__all__ = ["SAMPLE_SIZE", "check_plan"]

#: How many of the newest orders ``check`` maps, to catch bad data before a sync does.
SAMPLE_SIZE = 100


async def check_plan(plan: Plan, log: logging.Logger) -> CheckResult:
    """Check a validated plan against the database, changing nothing.

    Raises:
        AuthFailed: the database refused the credentials.
        ConfigInvalid: a table, query or column is wrong, or a status has no mapping.
    """
    where = describe(plan.url)
    try:
        async with engine_for(plan) as engine, read_only(engine, plan) as conn:
            columns = await _verify(conn, plan, plan.orders)
            if plan.items is not None:
                await _verify(conn, plan, plan.items)
            sample = await execute(
                conn, plan, plan.orders, page_statement(plan, None, SAMPLE_SIZE, newest_first=True)
            )
            rows = list(sample.mappings())
            ids = [row[plan.config.columns.order_id] for row in rows]
            items = await fetch_items(conn, plan, ids)
        _map_sample(plan, RowMapper(plan, log), rows, items)
    except (Retryable, PermanentFailure) as exc:
        return CheckResult(ok=False, message=exc.message)
    return CheckResult(
        ok=True,
        message=f"connected to {where}: {plan.orders.label} has every mapped column, and "
        f"the newest {len(rows)} orders read cleanly",
        details={"columns": columns, "sampled": len(rows)},
    )


async def _verify(conn: AsyncConnection, plan: Plan, relation: Relation) -> list[str]:
    """The columns of ``relation``, after checking it has every mapped one."""
    if relation.table is not None:
        await _verify_table(conn, relation)
    everything: sa.ColumnElement[Any] = sa.literal_column("*")
    probe = sa.select(everything).select_from(relation.selectable(all_columns=True)).limit(0)
    available = list((await execute(conn, plan, relation, probe)).keys())
    for column, field in relation.columns.items():
        if column not in available:
            raise ConfigInvalid(
                f"column {column!r} ({field}) is not in {relation.label}{_hint(column, available)}"
                f"; its columns are: {', '.join(available)}",
                field=field,
            )
    return available


async def _verify_table(conn: AsyncConnection, relation: Relation) -> None:
    assert relation.table is not None
    schema, _, name = relation.table.rpartition(".")

    def names(sync_conn: Any) -> list[str]:
        inspector = sa.inspect(sync_conn)
        found = inspector.get_table_names(schema or None)
        return sorted({*found, *inspector.get_view_names(schema or None)})

    existing = await conn.run_sync(names)
    if name not in existing:
        listed = ", ".join(existing[:50]) or "none"
        raise ConfigInvalid(
            f"there is no table or view {relation.table!r}{_hint(name, existing)}; "
            f"the database has: {listed}",
            field=relation.field,
        )


def _hint(name: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1) or [
        k for k in known if k.lower() == name.lower()
    ]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _map_sample(
    plan: Plan, mapper: RowMapper, rows: Sequence[sa.RowMapping], items: dict[str, Any]
) -> None:
    """Map every sampled row; refuse the config listing all unmapped status values."""
    unmapped: dict[str, None] = {}
    for row in rows:
        position_of(plan, row)  # the cursor must be a timestamp
        try:
            mapper.order(row, items.get(text_of(row[plan.config.columns.order_id]) or "", ()))
        except UnmappedStatus as exc:
            unmapped.setdefault(exc.value)
    if unmapped:
        values = ", ".join(repr(value) for value in unmapped)
        raise ConfigInvalid(
            f"status values without a mapping: {values}; map each to one of "
            "pending, paid, shipped, completed, cancelled, refunded",
            field="status_map",
        )
