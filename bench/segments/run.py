"""Benchmark: one 4-condition segment, compiled vs hand-written SQL, PostgreSQL and SQLite.

    .venv/bin/python bench/segments/run.py --scale 0.1            # both databases
    .venv/bin/python bench/segments/run.py --scale 1 --only postgresql

Generates the seeded data set (bench/segments/generate.py) into a fresh database per
backend, promotes traits, then times, in the same process and connection: the
compiled query of the segment below (ids fetched, as ``compute_segment`` does) and a
hand-written query for the same question, each run ``--repeat`` times after a warm-up;
it prints the median times and their ratio, and checks both return the same ids.

The question: "high spenders of the last 90 days (>= 1000 in buying orders), who opened
the mini-program in the last 30 days, bought nothing in the last 14 days, and live in
Shanghai or Hangzhou".
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))

from generate import NOW, load_postgresql, load_sqlite, sizes

from junction.core.db import Database
from junction.core.db.migrate import upgrade
from junction.core.segments import decode_condition, load_catalog, query_members
from junction.core.traits import promote_profile_traits

BUYING = ["paid", "shipped", "completed"]
SEGMENT = {
    "type": "all",
    "conditions": [
        {
            "type": "order",
            "metric": "total",
            "compare": {"op": "gte", "value": 1000},
            "statuses": BUYING,
            "within_days": 90,
        },
        {"type": "event", "name": "mini_program_open", "within_days": 30},
        {
            "type": "order",
            "compare": {"op": "eq", "value": 0},
            "statuses": BUYING,
            "within_days": 14,
        },
        {"type": "trait", "name": "city", "op": "in", "value": ["Shanghai", "Hangzhou"]},
    ],
}

# What an engineer would write by hand for the same question, reading the JSON trait.
HAND_WRITTEN = """
SELECT p.id FROM profiles p
WHERE p.merged_into IS NULL AND p.erased_at IS NULL
  AND {city} IN ('Shanghai', 'Hangzhou')
  AND p.id IN (SELECT o.profile_id FROM orders o
               WHERE o.status IN ('paid', 'shipped', 'completed')
                 AND o.created_at >= :d90 AND o.created_at <= :now
               GROUP BY o.profile_id HAVING sum(o.amount) >= 1000)
  AND EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id
              AND e.name = 'mini_program_open' AND e.timestamp >= :d30
              AND e.timestamp <= :now)
  AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.profile_id = p.id
                  AND o.status IN ('paid', 'shipped', 'completed')
                  AND o.created_at >= :d14 AND o.created_at <= :now)
"""
CITY = {"postgresql": "p.traits->>'city'", "sqlite": "json_extract(p.traits, '$.city')"}


def _bound(dialect: str) -> dict[str, Any]:
    values = {
        "now": NOW,
        "d90": NOW - timedelta(days=90),
        "d30": NOW - timedelta(days=30),
        "d14": NOW - timedelta(days=14),
    }
    if dialect == "sqlite":  # the stored text format of UTCDateTime
        return {
            k: v.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") for k, v in values.items()
        }
    return values


async def _time(work: Any, repeat: int) -> tuple[float, Any]:
    result = await work()  # warm-up: caches, plans
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = await work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


async def measure(url: str, repeat: int) -> dict[str, Any]:
    db = Database.open(url)
    try:
        started = time.perf_counter()
        await promote_profile_traits(db, full=True)
        promote = time.perf_counter() - started
        condition = decode_condition(SEGMENT)
        async with db.sessions() as session:
            catalog = await load_catalog(session)
            hand = text(HAND_WRITTEN.format(city=CITY[db.dialect]))
            params = _bound(db.dialect)

            async def compiled() -> set[int]:
                return set(await query_members(session, condition, catalog, NOW))

            async def by_hand() -> set[int]:
                return set((await session.scalars(hand, params)).all())

            compiled_s, members = await _time(compiled, repeat)
            hand_s, expected = await _time(by_hand, repeat)
        assert members == expected, f"{len(members)} != {len(expected)} members"
        return {"promote": promote, "compiled": compiled_s, "hand": hand_s, "members": len(members)}
    finally:
        await db.close()


async def postgresql(admin: str, scale: float, seed: int, repeat: int) -> dict[str, Any]:
    name = f"junction_bench_{int(time.time())}"
    connection = await asyncpg.connect(admin)
    await connection.execute(f"CREATE DATABASE {name}")
    await connection.close()
    base = admin.rsplit("/", 1)[0]
    try:
        await asyncio.to_thread(
            upgrade, f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://")
        )
        started = time.perf_counter()
        await load_postgresql(f"{base}/{name}", seed, scale)
        load = time.perf_counter() - started
        result = await measure(
            f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://"), repeat
        )
        return {"load": load, **result}
    finally:
        connection = await asyncpg.connect(admin)
        await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await connection.close()


async def sqlite(folder: Path, scale: float, seed: int, repeat: int) -> dict[str, Any]:
    path = folder / "bench.db"
    await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{path}")
    started = time.perf_counter()
    await asyncio.to_thread(load_sqlite, str(path), seed, scale)
    load = time.perf_counter() - started
    return {"load": load, **await measure(f"sqlite+aiosqlite:///{path}", repeat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 1M profiles, 10M events")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=["postgresql", "sqlite"])
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="an admin DSN; a scratch database is created and dropped",
    )
    args = parser.parse_args()
    n = sizes(args.scale)
    print(
        f"scale {args.scale}: {n['profiles']:,} profiles, {n['events']:,} events, "
        f"{n['orders']:,} orders (seed {args.seed})"
    )
    rows = []
    if args.only in (None, "postgresql"):
        rows.append(
            ("postgresql", asyncio.run(postgresql(args.pg, args.scale, args.seed, args.repeat)))
        )
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(dir="/tmp") as folder:
            rows.append(
                ("sqlite", asyncio.run(sqlite(Path(folder), args.scale, args.seed, args.repeat)))
            )
    print(
        f"{'database':<11} {'load s':>8} {'promote s':>10} {'members':>8} "
        f"{'compiled s':>11} {'hand s':>8} {'ratio':>6}"
    )
    for name, r in rows:
        print(
            f"{name:<11} {r['load']:>8.1f} {r['promote']:>10.1f} {r['members']:>8,} "
            f"{r['compiled']:>11.3f} {r['hand']:>8.3f} {r['compiled'] / r['hand']:>6.2f}"
        )


if __name__ == "__main__":
    main()
