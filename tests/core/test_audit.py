"""The audit log is append-only and hash-chained: tampering is detected and located."""

from __future__ import annotations

import asyncio

from sqlalchemy import delete, select, update

from junction.core import audit
from junction.core.db import Database
from junction.core.db.tables import AuditEntry


async def _append_many(db: Database, count: int) -> None:
    for number in range(1, count + 1):
        async with db.transaction() as session:
            await audit.append(
                session,
                actor="admin",
                action="thing.update",
                target=f"thing:{number}",
                details={"n": number, "note": "café ☕"},
            )


async def test_untouched_chain_verifies(db: Database) -> None:
    await _append_many(db, 5)
    report = await audit.verify(db)
    assert report.ok, report.problems
    assert report.checked == 5


async def test_empty_log_verifies(db: Database) -> None:
    report = await audit.verify(db)
    assert report.ok and report.checked == 0


async def test_edited_entry_is_reported(db: Database) -> None:
    await _append_many(db, 4)
    async with db.transaction() as session:
        await session.execute(
            update(AuditEntry).where(AuditEntry.id == 2).values(details={"n": 99})
        )
    report = await audit.verify(db)
    assert not report.ok
    assert report.problems == ("entry 2 (thing.update) was altered after writing",)


async def test_deleted_middle_entry_is_reported(db: Database) -> None:
    await _append_many(db, 5)
    async with db.transaction() as session:
        await session.execute(delete(AuditEntry).where(AuditEntry.id == 3))
    report = await audit.verify(db)
    assert report.problems == ("entry 3 deleted",)


async def test_deleted_newest_entries_are_reported(db: Database) -> None:
    await _append_many(db, 5)
    async with db.transaction() as session:
        await session.execute(delete(AuditEntry).where(AuditEntry.id >= 4))
    report = await audit.verify(db)
    assert report.problems == ("entries 4-5 deleted",)


async def test_secrets_never_reach_the_log(db: Database) -> None:
    async with db.transaction() as session:
        await audit.append(
            session,
            actor="admin",
            action="connection.create",
            details={"config": {"url": "https://x.test", "api_key": "k-123", "pin": "9876"}},
            secret_fields={"pin"},
        )
    async with db.sessions() as session:
        entry = (await session.scalars(select(AuditEntry))).one()
    assert entry.details == {
        "config": {"url": "https://x.test", "api_key": "********", "pin": "********"}
    }
    assert (await audit.verify(db)).ok


async def test_concurrent_appenders_keep_one_unbroken_chain(db: Database) -> None:
    async def worker(name: str) -> None:
        for number in range(10):
            async with db.transaction() as session:
                await audit.append(session, actor=name, action="x", details={"n": number})

    await asyncio.gather(*(worker(f"w{i}") for i in range(4)))
    report = await audit.verify(db)
    assert report.ok, report.problems
    assert report.checked == 40


async def test_rolled_back_change_leaves_no_entry(db: Database) -> None:
    class Boom(Exception):
        pass

    try:
        async with db.transaction() as session:
            await audit.append(session, actor="a", action="x")
            raise Boom
    except Boom:
        pass
    report = await audit.verify(db)
    assert report.ok and report.checked == 0
