"""Loading benchmark members straight into a fresh, migrated database."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy import delete, func, insert, select

from junction.core.db import Database
from junction.core.db.migrate import upgrade
from junction.core.db.tables import (
    Identity,
    Profile,
    Segment,
    SegmentChange,
    SegmentMembership,
    SegmentRun,
)
from junction.core.pii import sha256_hex
from junction.core.secrets import SecretBox

PG_ADMIN = os.environ.get("JUNCTION_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-signing-secret-0123456789"
CHUNK = 20_000


@asynccontextmanager
async def open_database(backend: str, home: Path) -> AsyncIterator[Database]:
    """A fresh migrated database, dropped afterwards (PostgreSQL) or left in ``home``."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{home / 'bench.db'}"
        upgrade(url)
        db = Database.open(url)
        try:
            yield db
        finally:
            await db.close()
        return
    name = f"junction_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f"CREATE DATABASE {name}")
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    url = f"{base}/{name}"
    try:
        await __import__("asyncio").to_thread(upgrade, url)
        db = Database.open(url)
        try:
            yield db
        finally:
            await db.close()
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def _people(db: Database, box: SecretBox, count: int) -> list[int]:
    now = datetime.now(UTC)
    ids: list[int] = []
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        async with db.transaction() as session:
            result = await session.execute(
                insert(Profile).returning(Profile.id, sort_by_parameter_order=True),
                [{"traits": {}, "trait_updated_at": {}, "created_at": now, "updated_at": now}]
                * size,
            )
            chunk = list(result.scalars())
            rows = []
            for pid in chunk:
                raw = f"person{pid}@example.com"
                digest = sha256_hex(raw)
                sealed = box.seal({"value": raw}, context=f"identity:email:{digest}")
                rows.append(
                    {
                        "profile_id": pid,
                        "type": "email",
                        "scope": "",
                        "value": digest,
                        "hashed": True,
                        "value_encrypted": sealed,
                        "first_seen_at": now,
                        "last_seen_at": now,
                    }
                )
            await session.execute(insert(Identity), rows)
        ids.extend(chunk)
    return ids


async def load_members(db: Database, box: SecretBox, count: int) -> None:
    """``count`` profiles with an e-mail identity, all members of segment ``bench``."""
    ids = await _people(db, box, count)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        segment = Segment(
            name="bench",
            description="",
            condition={"type": "tag", "tag": "b"},
            splits=[],
            salt="bench",
            created_by="bench",
        )
        session.add(segment)
        await session.flush()
        run = SegmentRun(
            segment_id=segment.id,
            as_of=now,
            started_at=now,
            finished_at=now,
            members=count,
            added=count,
            removed=0,
            moved=0,
            actor="bench",
        )
        session.add(run)
        await session.flush()
        for start in range(0, count, CHUNK):
            chunk = ids[start : start + CHUNK]
            await session.execute(
                insert(SegmentMembership),
                [{"segment_id": segment.id, "profile_id": p, "variant": ""} for p in chunk],
            )
            await session.execute(
                insert(SegmentChange),
                [{"run_id": run.id, "profile_id": p, "before": None, "after": ""} for p in chunk],
            )


async def change_members(db: Database, box: SecretBox, count: int) -> int:
    """A new segment run where ``count // 2`` members left and as many new ones joined."""
    joined = await _people(db, box, count // 2)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        segment_id = await session.scalar(select(Segment.id).where(Segment.name == "bench"))
        leaving = list(
            await session.scalars(
                select(SegmentMembership.profile_id)
                .where(SegmentMembership.segment_id == segment_id)
                .order_by(SegmentMembership.profile_id)
                .limit(count // 2)
            )
        )
        total = await session.scalar(select(func.count()).select_from(SegmentMembership))
        run = SegmentRun(
            segment_id=segment_id,
            as_of=now,
            started_at=now,
            finished_at=now,
            members=int(total or 0),
            added=len(joined),
            removed=len(leaving),
            moved=0,
            actor="bench",
        )
        session.add(run)
        await session.flush()
        await session.execute(
            delete(SegmentMembership).where(
                SegmentMembership.segment_id == segment_id,
                SegmentMembership.profile_id.in_(leaving),
            )
        )
        await session.execute(
            insert(SegmentMembership),
            [{"segment_id": segment_id, "profile_id": p, "variant": ""} for p in joined],
        )
        await session.execute(
            insert(SegmentChange),
            [{"run_id": run.id, "profile_id": p, "before": None, "after": ""} for p in joined]
            + [{"run_id": run.id, "profile_id": p, "before": "", "after": None} for p in leaving],
        )
    return len(joined) + len(leaving)
