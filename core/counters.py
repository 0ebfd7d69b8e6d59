"""Daily per-source counters (accepted, duplicates, dropped for consent, ...)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from junction.core.db.tables import SourceCounter

_counters = SourceCounter.__table__


async def add_counters(
    executor: AsyncConnection | AsyncSession, counts: Counter[tuple[int, str, str]]
) -> None:
    """Add ``counts`` keyed by (source_id, UTC day, name) to ``source_counters``."""
    # Sorted, so two processes updating the same rows lock them in the same order
    # and cannot deadlock.
    rows = [
        {"source_id": source_id, "day": day, "name": name, "count": count}
        for (source_id, day, name), count in sorted(counts.items())
        if count
    ]
    if not rows:
        return
    bind = executor.bind if isinstance(executor, AsyncSession) else executor
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(_counters).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["source_id", "day", "name"],
        set_={"count": _counters.c.count + statement.excluded["count"]},
    )
    await executor.execute(statement)
