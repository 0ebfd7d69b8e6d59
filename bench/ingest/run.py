"""Ingestion benchmark: a real server process fed over HTTP by a separate load process.

For each database (SQLite, PostgreSQL) it:

1. creates a fresh database, migrates it, adds an ``http`` source and its write key;
2. starts ``junction serve`` (one uvicorn worker, ID-mapping on) in its own process;
3. runs bench/ingest/load.py in another process: ``/v1/batch`` requests, then single
   ``/v1/track`` requests, over keep-alive connections;
4. waits until ID-mapping has resolved every event (so the figure includes it);
5. measures the baseline in the same run: a raw bulk INSERT (executemany, 1,000 rows
   per transaction) of the same number of rows into the same table;

and prints events/s and the ratio to the baseline.

    .venv/bin/python bench/ingest/run.py                      # both databases, defaults
    .venv/bin/python bench/ingest/run.py --backend postgresql --events 500000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.migrate import upgrade
from junction.core.db.tables import Connection, Event
from junction.core.secrets import SecretBox, generate_key
from junction.plugins.manager import load_plugins

HERE = Path(__file__).parent
JUNCTION = Path(sys.executable).parent / "junction"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
console = Console()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def create_database(backend: str, home: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{home / 'bench.db'}", None
    name = f"junction_bench_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(PG_ADMIN)
    await connection.execute(f"CREATE DATABASE {name}")
    await connection.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name


async def drop_database(name: str | None) -> None:
    if name:
        connection = await asyncpg.connect(PG_ADMIN)
        await connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await connection.close()


async def add_source(url: str, key: str, home: Path) -> str:
    db = Database.open(url)
    try:
        service = Connections(db, load_plugins(), SecretBox.from_settings(key, home))
        created = await service.create(name="bench", plugin="http", config={}, actor="bench")
        assert created.created_write_key
        return created.created_write_key
    finally:
        await db.close()


def load(url: str, key: str, mode: str, events: int, batch: int, connections: int) -> Any:
    output = subprocess.run(
        [
            sys.executable, str(HERE / "load.py"), url, key, "--mode", mode,
            "--events", str(events), "--batch", str(batch), "--connections", str(connections),
        ],
        check=True,
        capture_output=True,
        text=True,
    )  # fmt: skip
    return json.loads(output.stdout)


async def wait_resolved(url: str, expected: int, limit: float = 600) -> float:
    db = Database.open(url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < limit:
            async with db.sessions() as session:
                pending = await session.scalar(
                    select(func.count()).select_from(Event).where(Event.resolution == 0)
                )
                stored = await session.scalar(select(func.count()).select_from(Event))
            if pending == 0 and stored >= expected:
                return time.perf_counter() - started
            await asyncio.sleep(0.1)
        raise TimeoutError(f"ID-mapping still had {pending} events pending after {limit} s")
    finally:
        await db.close()


async def raw_insert_rate(url: str, events: int) -> float:
    """Baseline: the same number of event rows, bulk-inserted, 1,000 per transaction."""
    db = Database.open(url)
    try:
        async with db.transaction() as session:
            row = Connection(name="baseline", plugin="http", kind="source", config={})
            session.add(row)
            await session.flush()
            source_id = row.id
        now = datetime.now(UTC)
        rows = [
            {
                "source_id": source_id,
                "message_id": str(uuid.uuid4()),
                "type": "track",
                "name": "Viewed Product",
                "anonymous_id": f"anon-{i % 20000}",
                "user_id": f"user-{i % 20000}" if i % 2 else None,
                "timestamp": now,
                "received_at": now,
                "properties": {"sku": f"SKU-{i % 500}", "price": i % 999},
                "traits": {},
                "context": {"library": {"name": "bench", "version": "1"}},
                "resolution": 1,
            }
            for i in range(events)
        ]
        started = time.perf_counter()
        for start in range(0, events, 1000):
            async with db.transaction() as session:
                await session.execute(insert(Event), rows[start : start + 1000])
        return events / (time.perf_counter() - started)
    finally:
        await db.close()


def serve(url: str, key: str, home: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "JUNCTION_DATABASE_URL": url,
        "JUNCTION_SECRET_KEY": key,
        "JUNCTION_HOME": str(home),
        "JUNCTION_PORT": str(port),
        "JUNCTION_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [str(JUNCTION), "serve", "--no-migrate"], env=env, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("junction serve did not start")


async def bench(backend: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        url, pg_name = await create_database(backend, home)
        try:
            await asyncio.to_thread(upgrade, url)
            key = generate_key()
            write_key = await add_source(url, key, home)
            port = free_port()
            server = serve(url, key, home, port)
            base = f"http://127.0.0.1:{port}"
            try:
                batch = load(base, write_key, "batch", args.events, args.batch, args.connections)
                drain = await wait_resolved(url, args.events)
                track = load(base, write_key, "track", args.track, 1, args.connections)
            finally:
                server.terminate()
                server.wait(timeout=60)
            assert set(batch["statuses"]) == {"200"}, batch["statuses"]
            assert set(track["statuses"]) == {"200"}, track["statuses"]
            raw = await raw_insert_rate(url, args.events)
        finally:
            await drop_database(pg_name)
    ingest = args.events / batch["seconds"]
    return {
        "ingest": ingest,
        "with_idmapping": args.events / (batch["seconds"] + drain),
        "track": args.track / track["seconds"],
        "raw": raw,
        "ratio": ingest / raw,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=100, help="events per /v1/batch request")
    parser.add_argument("--track", type=int, default=20_000, help="single /v1/track requests")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    results = {b: asyncio.run(bench(b, args)) for b in args.backend or ["sqlite", "postgresql"]}
    table = Table(title=f"Ingestion: {args.events:,} events in batches of {args.batch}")
    for column in (
        "database",
        "/v1/batch events/s",
        "incl. ID-mapping",
        "/v1/track req/s",
        "raw INSERT rows/s",
        "ratio to raw",
    ):
        table.add_column(column, justify="right")
    for backend, r in results.items():
        table.add_row(
            backend,
            f"{r['ingest']:,.0f}",
            f"{r['with_idmapping']:,.0f}",
            f"{r['track']:,.0f}",
            f"{r['raw']:,.0f}",
            f"{r['ratio']:.2f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
