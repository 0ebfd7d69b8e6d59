"""Seeded data for the segment benchmark: profiles, events, orders, consents.

At ``--scale 1``: 1,000,000 profiles, 10,000,000 events and 1,000,000 orders over the
365 days before ``NOW``. PostgreSQL is loaded with COPY, SQLite with executemany in
large transactions; both get exactly the same rows for the same seed and scale.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import asyncpg

NOW: Final = datetime(2026, 6, 1, tzinfo=UTC)
CITIES: Final = ["Shanghai", "Beijing", "Hangzhou", "Shenzhen", "Chengdu", "Wuhan", "Xi'an"]
#: Event names with their share of all events.
EVENTS: Final = [
    ("page_view", 0.40),
    ("mini_program_open", 0.20),
    ("login", 0.20),
    ("add_to_cart", 0.10),
    ("purchase", 0.10),
]
STATUSES: Final = [
    ("completed", 0.55),
    ("paid", 0.2),
    ("shipped", 0.1),
    ("cancelled", 0.1),
    ("refunded", 0.05),
]
CHUNK: Final = 200_000
_YEAR = 365 * 86400


def sizes(scale: float) -> dict[str, int]:
    return {
        "profiles": int(1_000_000 * scale),
        "events": int(10_000_000 * scale),
        "orders": int(1_000_000 * scale),
    }


def _when(rng: random.Random) -> datetime:
    # Skewed towards recent activity, as real event streams are.
    return NOW - timedelta(seconds=int(_YEAR * rng.random() ** 1.5))


def profiles(rng: random.Random, count: int) -> Iterator[tuple[Any, ...]]:
    for pid in range(1, count + 1):
        registered = NOW - timedelta(days=rng.randint(0, 720))
        traits = {
            "city": rng.choice(CITIES),
            "age": rng.randint(16, 70),
            "registered_at": registered.isoformat(),
        }
        yield (pid, json.dumps(traits), "{}", registered, registered)


def events(rng: random.Random, count: int, people: int) -> Iterator[tuple[Any, ...]]:
    names = [name for name, _ in EVENTS]
    weights = [weight for _, weight in EVENTS]
    for eid in range(1, count + 1):
        name = rng.choices(names, weights)[0]
        at = _when(rng)
        props = {"amount": round(rng.lognormvariate(4.5, 1.0), 2)} if name == "purchase" else {}
        # A few people are very active: profile ids are drawn with a power law.
        pid = 1 + int(people * rng.random() ** 1.3) % people
        yield (eid, 1, f"e{eid}", "track", name, pid, at, at, json.dumps(props), "{}", "{}")


def orders(rng: random.Random, count: int, people: int) -> Iterator[tuple[Any, ...]]:
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    for oid in range(1, count + 1):
        at = _when(rng)
        amount = Decimal(str(round(rng.lognormvariate(5.0, 1.0), 2)))
        pid = 1 + int(people * rng.random() ** 1.3) % people
        status = rng.choices(statuses, weights)[0]
        yield (oid, 1, f"o{oid}", pid, status, amount, "CNY", at, at, "[]", "{}")


def consents(rng: random.Random, people: int) -> Iterator[tuple[Any, ...]]:
    cid = 0
    for pid in range(1, people + 1):
        if rng.random() < 0.6:
            cid += 1
            status = "granted" if rng.random() < 0.8 else "denied"
            yield (cid, pid, "ads", status, NOW - timedelta(days=rng.randint(1, 300)), "bench")


_PG_COLUMNS: Final = {
    "profiles": ["id", "traits", "trait_updated_at", "created_at", "updated_at"],
    "events": [
        "id",
        "source_id",
        "message_id",
        "type",
        "name",
        "profile_id",
        "timestamp",
        "received_at",
        "properties",
        "traits",
        "context",
    ],
    "orders": [
        "id",
        "source_id",
        "order_id",
        "profile_id",
        "status",
        "amount",
        "currency",
        "created_at",
        "updated_at",
        "identifiers",
        "properties",
    ],
    "consents": ["id", "profile_id", "purpose", "status", "recorded_at", "source"],
}


def _batches(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _tables(seed: int, scale: float) -> Iterator[tuple[str, Iterator[tuple[Any, ...]]]]:
    n = sizes(scale)
    yield "profiles", profiles(random.Random(seed), n["profiles"])
    yield "events", events(random.Random(seed + 1), n["events"], n["profiles"])
    yield "orders", orders(random.Random(seed + 2), n["orders"], n["profiles"])
    yield "consents", consents(random.Random(seed + 3), n["profiles"])


async def load_postgresql(dsn: str, seed: int, scale: float) -> None:
    """Load the data set into a migrated PostgreSQL database (COPY, then ANALYZE)."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "INSERT INTO connections (id, name, plugin, kind, config, secrets_set, enabled, "
            "consent_policy, created_at, updated_at) VALUES (1, 'bench', 'http', 'source', "
            "'{}', '[]', true, 'keep', now(), now())"
        )
        for table, rows in _tables(seed, scale):
            for batch in _batches(rows):
                await connection.copy_records_to_table(
                    table, records=batch, columns=_PG_COLUMNS[table]
                )
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def load_sqlite(path: str, seed: int, scale: float) -> None:
    """Load the data set into a migrated SQLite database file."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")  # a benchmark load, not user data
        connection.execute(
            "INSERT INTO connections (id, name, plugin, kind, config, secrets_set, enabled, "
            "consent_policy, created_at, updated_at) VALUES (1, 'bench', 'http', 'source', "
            "'{}', '[]', 1, 'keep', '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')"
        )
        for table, rows in _tables(seed, scale):
            columns = _PG_COLUMNS[table]
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            for batch in _batches(rows):
                connection.executemany(sql, [tuple(_sqlite(v) for v in row) for row in batch])
                connection.commit()
        connection.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()


def _sqlite(value: Any) -> Any:
    # The formats SQLAlchemy's SQLite types store: naive UTC text, decimals as REAL.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, Decimal):
        return float(value)
    return value
