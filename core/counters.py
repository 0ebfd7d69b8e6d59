"""Daily per-source counters (accepted, duplicates, dropped for consent, ...)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import SourceCounter


async def increment(session: AsyncSession, counts: Counter[tuple[int, str]], at: datetime) -> None:
    """Add ``counts`` ((source id, counter name) → n) to the UTC day of ``at``."""
    rows = [
        {"source_id": source, "day": at.date().isoformat(), "name": name, "count": n}
        for (source, name), n in sorted(counts.items())
        if n
    ]
    if not rows:
        return
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(SourceCounter)
    statement = statement.on_conflict_do_update(
        index_elements=["source_id", "day", "name"],
        set_={"count": SourceCounter.count + statement.excluded.count},
    )
    await session.execute(statement, rows)
