"""Group commit: many requests' rows written in one transaction, each answered after it.

A durable commit costs a disk flush, so committing each request on its own caps
ingestion near 1-2.6k events/s; about a hundred events per commit reaches 30-48k/s on
PostgreSQL. Requests therefore hand their rows to :class:`GroupCommitWriter` and wait.
One background task gathers what is pending for at most ``max_delay`` seconds (or until
``max_rows`` rows wait), writes it all in one transaction, commits, and only then
answers every request with its own :class:`IngestResult`. A request answered is a
request committed, so a crash after a 200 loses nothing.

If the transaction fails, every request in the group gets the exception and nothing
of the group is stored. One exception to "every": when the database refused the data
itself (a value it cannot hold) rather than being unavailable, the group is retried one
request at a time, so a single malformed request cannot fail its neighbours.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection

from junction.core.counters import add_counters
from junction.core.db import Database
from junction.core.ingest.storage import insert_events, upsert_items, upsert_orders
from junction.core.model import Order
from junction.plugins.receiver import IngestResult
from junction.plugins.records import ItemRecord

__all__ = ["GroupCommitWriter", "WriterStopped"]

log = logging.getLogger("junction.ingest")


class WriterStopped(RuntimeError):
    """Raised by :meth:`GroupCommitWriter.write` when the writer is not running."""


class _Submission:
    """One caller's rows, written atomically within a group, and its answer."""

    __slots__ = ("day", "enqueued", "events", "future", "items", "orders", "source_id")

    def __init__(
        self,
        source_id: int,
        day: str,
        events: list[dict[str, Any]],
        orders: list[Order],
        future: asyncio.Future[IngestResult],
        enqueued: float,
        items: list[ItemRecord],
    ) -> None:
        self.source_id = source_id
        self.day = day
        self.events = events
        self.orders = orders
        self.items = items
        self.future = future
        self.enqueued = enqueued

    @property
    def size(self) -> int:
        return len(self.events) + len(self.orders) + len(self.items)


class GroupCommitWriter:
    """Writes events and orders for many concurrent callers, one transaction per group.

    Attributes:
        commits: Transactions committed so far (a group is one commit).
        submissions: Calls answered with a result so far.
    """

    def __init__(
        self,
        db: Database,
        *,
        max_delay: float = 0.004,
        max_rows: int = 500,
        max_in_flight: int | None = None,
    ) -> None:
        """Create a stopped writer.

        Args:
            db: Where to write.
            max_delay: How long the oldest waiting call may wait for company, seconds.
            max_rows: Flush as soon as this many rows wait. A single call larger than
                this is written alone, never split across transactions.
            max_in_flight: Groups being written at once. PostgreSQL gains from two (one
                group is built while the other commits); SQLite has one writer anyway.
        """
        self.db = db
        self.max_delay = max_delay
        self.max_rows = max_rows
        self.max_in_flight = max_in_flight or (2 if db.dialect == "postgresql" else 1)
        self.commits = 0
        self.submissions = 0
        self._pending: list[_Submission] = []
        self._pending_rows = 0
        self._wake = asyncio.Event()
        self._full = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done() and not self._stopping

    async def start(self) -> None:
        """Start the background task (in the running event loop)."""
        if self.running:
            return
        self._stopping = False
        # Made here, not in __init__: an asyncio primitive binds to the loop that first
        # uses it, and an app may be started again in another loop (tests, reloads).
        self._wake = asyncio.Event()
        self._full = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="junction-ingest-writer")

    async def stop(self) -> None:
        """Write everything already submitted, then stop. Later writes raise WriterStopped."""
        self._stopping = True
        self._wake.set()
        self._full.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def write(
        self,
        source_id: int,
        day: str,
        events: Sequence[dict[str, Any]],
        orders: Sequence[Order] = (),
        items: Sequence[ItemRecord] = (),
    ) -> IngestResult:
        """Submit rows for ``source_id`` and wait until the group holding them committed.

        Args:
            source_id: The source connection the rows belong to.
            day: The UTC day (``YYYY-MM-DD``) the source's counters are kept under.
            events: ``events`` rows (see :func:`junction.core.ingest.rows.event_row`).
            orders: Orders to upsert by (source, order id).
            items: Catalog items to upsert by (source, item type, item id).

        Raises:
            WriterStopped: The writer is not running; nothing was stored.
            Exception: Whatever made the transaction fail; nothing was stored.
        """
        if not self.running:
            raise WriterStopped("the ingest writer is not running")
        loop = asyncio.get_running_loop()
        submission = _Submission(
            source_id,
            day,
            list(events),
            list(orders),
            loop.create_future(),
            loop.time(),
            list(items),
        )
        if submission.size == 0:
            return IngestResult(accepted=0, duplicates=0)
        self._pending.append(submission)
        self._pending_rows += submission.size
        self._wake.set()
        if self._pending_rows >= self.max_rows:
            self._full.set()
        # Not shielded on purpose: a caller that goes away leaves its rows queued, and
        # they are written anyway (the sender's retry is then a duplicate, not a loss).
        return await submission.future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(self.max_in_flight)
        while True:
            if not self._pending:
                if self._stopping:
                    break
                self._wake.clear()
                await self._wake.wait()
                continue
            # While every slot is busy, calls keep gathering into the next group.
            await slots.acquire()
            # Calls that arrived while earlier groups were being written have waited
            # already; only a fresh group waits for company.
            delay = self._pending[0].enqueued + self.max_delay - loop.time()
            if delay > 0 and self._pending_rows < self.max_rows and not self._stopping:
                self._full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._full.wait(), delay)
            task = asyncio.create_task(self._flush(self._take()))
            task.add_done_callback(lambda _: slots.release())
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)
        await asyncio.gather(*self._flushing)

    def _take(self) -> list[_Submission]:
        group, rows = [self._pending[0]], self._pending[0].size
        for submission in self._pending[1:]:
            if rows + submission.size > self.max_rows:
                break
            group.append(submission)
            rows += submission.size
        del self._pending[: len(group)]
        self._pending_rows -= rows
        return group

    async def _flush(self, group: list[_Submission]) -> None:
        try:
            async with self.db.engine.begin() as conn:
                results = await self._write(conn, group)
        except Exception as exc:
            if len(group) > 1 and isinstance(exc, DataError | IntegrityError | StatementError):
                log.warning("group commit refused by the database, retrying one by one: %s", exc)
                for submission in group:
                    await self._flush([submission])
                return
            log.error("group commit of %d calls failed: %s", len(group), exc)
            for submission in group:
                if not submission.future.done():
                    submission.future.set_exception(exc)
            return
        self.commits += 1
        self.submissions += len(group)
        for submission, result in zip(group, results, strict=True):
            if not submission.future.done():
                submission.future.set_result(result)

    async def _write(
        self, conn: AsyncConnection, group: Sequence[_Submission]
    ) -> list[IngestResult]:
        """Write ``group`` inside the open transaction; one result per submission."""
        seen: set[tuple[int, str]] = set()
        rows: list[dict[str, Any]] = []
        for submission in group:
            for row in submission.events:
                key = (row["source_id"], row["message_id"])
                if key not in seen:  # the same message twice in one group: store it once
                    seen.add(key)
                    rows.append(row)
        # Concurrent groups (or processes) that share keys then take their locks in the
        # same order, so a retried message cannot deadlock two commits.
        rows.sort(key=lambda row: (row["source_id"], row["message_id"]))
        inserted = await insert_events(conn, rows)
        counts: Counter[tuple[int, str, str]] = Counter()
        results = []
        for submission in group:
            accepted = 0
            for row in submission.events:
                key = (row["source_id"], row["message_id"])
                if key in inserted:
                    inserted.discard(key)  # a later copy in this group is a duplicate
                    accepted += 1
            if submission.orders:
                accepted += await upsert_orders(conn, submission.source_id, submission.orders)
            if submission.items:
                accepted += await upsert_items(conn, submission.source_id, submission.items)
            duplicates = submission.size - accepted
            counts[(submission.source_id, submission.day, "accepted")] += accepted
            counts[(submission.source_id, submission.day, "duplicates")] += duplicates
            results.append(IngestResult(accepted=accepted, duplicates=duplicates))
        await add_counters(conn, counts)
        return results
