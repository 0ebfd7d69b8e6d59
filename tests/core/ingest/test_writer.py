"""The group-commit writer: shared commits, answers only after them, all or nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from junction.core.db import Database
from junction.core.ingest import GroupCommitWriter, WriterStopped
from junction.core.ingest.rows import event_row
from junction.core.model import Event, EventType
from junction.plugins.receiver import IngestResult, SourceRef

DAY = "2024-05-01"
RECEIVED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def row(source: SourceRef, message_id: str, **fields: Any) -> dict[str, Any]:
    event = Event(
        type=EventType.TRACK, event="Viewed", user_id="u1", message_id=message_id, **fields
    )
    return event_row(source.id, event, RECEIVED)


class FailingWriter(GroupCommitWriter):
    """Writes the group, then fails before the commit, as a lost connection would."""

    async def _write(self, conn: AsyncConnection, group: Sequence[Any]) -> list[IngestResult]:
        await super()._write(conn, group)
        raise OperationalError("COMMIT", {}, ConnectionResetError("server closed the connection"))


@pytest.fixture
async def writer(db: Database) -> Any:
    writer = GroupCommitWriter(db, max_delay=0.05)
    await writer.start()
    yield writer
    await writer.stop()


async def test_concurrent_calls_share_commits_and_each_gets_its_result(
    writer: GroupCommitWriter, source: SourceRef, stored: Any
) -> None:
    results = await asyncio.gather(
        *(
            writer.write(source.id, DAY, [row(source, f"m{i}"), row(source, "shared")])
            for i in range(40)
        )
    )
    assert writer.commits < 40
    assert writer.submissions == 40
    # "shared" is in every call: exactly one call stored it.
    assert sum(r.accepted for r in results) == 41
    assert sum(r.duplicates for r in results) == 39
    assert all(r.accepted + r.duplicates == 2 for r in results)
    assert len(await stored.events()) == 41
    assert await stored.counters() == {"accepted": 41, "duplicates": 39}


async def test_duplicates_across_calls_and_within_one_call(
    writer: GroupCommitWriter, source: SourceRef, stored: Any
) -> None:
    first = await writer.write(
        source.id, DAY, [row(source, "a"), row(source, "a"), row(source, "b")]
    )
    again = await writer.write(source.id, DAY, [row(source, "b"), row(source, "c")])
    assert first == IngestResult(accepted=2, duplicates=1)
    assert again == IngestResult(accepted=1, duplicates=1)
    assert [e.message_id for e in await stored.events()] == ["a", "b", "c"]
    assert await stored.counters() == {"accepted": 3, "duplicates": 2}


async def test_a_call_larger_than_max_rows_is_written_whole(
    db: Database, source: SourceRef, stored: Any
) -> None:
    writer = GroupCommitWriter(db, max_rows=10)
    await writer.start()
    try:
        result = await writer.write(source.id, DAY, [row(source, f"m{i}") for i in range(25)])
    finally:
        await writer.stop()
    assert result == IngestResult(accepted=25, duplicates=0)
    assert writer.commits == 1
    assert len(await stored.events()) == 25


async def test_a_failed_commit_fails_every_call_in_it_and_stores_nothing(
    db: Database, source: SourceRef, stored: Any
) -> None:
    writer = FailingWriter(db, max_delay=0.05)
    await writer.start()
    try:
        outcomes = await asyncio.gather(
            *(writer.write(source.id, DAY, [row(source, f"m{i}")]) for i in range(5)),
            return_exceptions=True,
        )
    finally:
        await writer.stop()
    assert all(isinstance(outcome, OperationalError) for outcome in outcomes)
    assert writer.commits == 0
    assert await stored.events() == []
    assert await stored.counters() == {}


async def test_a_call_the_database_refuses_does_not_fail_its_neighbours(
    writer: GroupCommitWriter, source: SourceRef, stored: Any
) -> None:
    # Bypasses the service's checks on purpose: a 300-character message id is more
    # than the column holds, which PostgreSQL refuses (SQLite stores it).
    bad = row(source, "x" * 300)
    outcomes = await asyncio.gather(
        writer.write(source.id, DAY, [row(source, "good-1")]),
        writer.write(source.id, DAY, [bad]),
        writer.write(source.id, DAY, [row(source, "good-2")]),
        return_exceptions=True,
    )
    assert outcomes[0] == outcomes[2] == IngestResult(accepted=1, duplicates=0)
    ids = {e.message_id for e in await stored.events()}
    assert {"good-1", "good-2"} <= ids
    if writer.db.dialect == "postgresql":
        assert isinstance(outcomes[1], Exception)
        assert ids == {"good-1", "good-2"}


async def test_stop_writes_what_is_pending_then_refuses(
    db: Database, source: SourceRef, stored: Any
) -> None:
    writer = GroupCommitWriter(db, max_delay=10.0)  # would wait long for company
    await writer.start()
    pending = [
        asyncio.create_task(writer.write(source.id, DAY, [row(source, f"m{i}")])) for i in range(3)
    ]
    await asyncio.sleep(0.01)
    await writer.stop()
    assert [task.result() for task in pending] == [IngestResult(accepted=1, duplicates=0)] * 3
    assert len(await stored.events()) == 3
    with pytest.raises(WriterStopped):
        await writer.write(source.id, DAY, [row(source, "late")])


async def test_a_writer_never_started_refuses(db: Database, source: SourceRef) -> None:
    with pytest.raises(WriterStopped, match="not running"):
        await GroupCommitWriter(db).write(source.id, DAY, [row(source, "m")])


async def test_an_empty_call_commits_nothing(writer: GroupCommitWriter, source: SourceRef) -> None:
    assert await writer.write(source.id, DAY, []) == IngestResult(accepted=0, duplicates=0)
    assert writer.commits == 0
