"""Run records: queueing, claiming with a lease, heartbeats, take-over and finishing.

The tables are the authority (DESIGN.md): a partial unique index allows one ``running``
and one ``queued`` run per sync, so two workers can never run the same sync at once
however they race. A worker owns a run while its lease lasts and renews it by
heartbeat; once a lease has lapsed any worker may take the run over and resume it from
the ledger. Every write a worker makes for a run is fenced on still owning it
(:func:`fence`), so a worker that lost its lease can't write over the new owner.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core import audit
from junction.core.db import Database
from junction.core.db.tables import Sync, SyncRun
from junction.core.db.types import utcnow
from junction.core.errors import ConfigError
from junction.core.sync.errors import SyncBusy
from junction.core.sync.store import load_sync

__all__ = [
    "LeaseLost",
    "RunStatus",
    "claim",
    "enqueue",
    "fence",
    "finish",
    "release",
    "renew",
    "stale_runs",
    "take_over",
]

#: A run taken over this many times is failed rather than started again: it keeps
#: killing its workers (a poison run), and a person should look at it.
MAX_STARTS = 5


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    #: Finished, but some records failed (retried next run) or were parked.
    PARTIAL = "partial"
    FAILED = "failed"


class LeaseLost(Exception):
    """Raised when a worker finds that its run is no longer its own (lease lapsed)."""


async def enqueue(db: Database, sync: str, *, trigger: str, actor: str) -> int:
    """Queue a run of ``sync``; return its id.

    Raises:
        NotFoundError: no such sync.
        ConfigError: the sync is disabled.
        SyncBusy: a run of the sync is already queued (it will cover this request).
    """
    async with db.transaction() as session:
        row = await load_sync(session, sync)
        if not row.enabled:
            raise ConfigError(f"sync {sync!r} is disabled: enable it before running it")
        try:
            async with session.begin_nested():
                run_id = await queue_run(session, row.id, trigger=trigger, actor=actor)
        except IntegrityError:
            queued = await session.scalar(
                select(SyncRun.id).where(
                    SyncRun.sync_id == row.id, SyncRun.status == RunStatus.QUEUED.value
                )
            )
            raise SyncBusy(f"sync {sync!r} already has run {queued} queued") from None
        await audit.append(
            session,
            actor=actor,
            action="sync.run",
            target=f"sync:{sync}",
            details={"run": run_id, "trigger": trigger},
        )
        return run_id


async def queue_run(session: AsyncSession, sync_id: int, *, trigger: str, actor: str) -> int:
    """Insert a queued run. Raises IntegrityError when one is already queued."""
    run = SyncRun(
        sync_id=sync_id,
        status=RunStatus.QUEUED.value,
        trigger=trigger,
        actor=actor,
        queued_at=utcnow(),
        details={},
    )
    session.add(run)
    await session.flush()
    return run.id


async def claim(
    db: Database, worker: str, lease: float, *, run_id: int | None = None, limit: int = 20
) -> int | None:
    """Start the oldest queued run whose sync is not running; return its id or None.

    Two workers racing for one run: the conditional update lets one win. Two runs of
    one sync: the partial unique index refuses the second ``running`` row.
    """
    async with db.sessions() as session:
        query = (
            select(SyncRun.id)
            .join(Sync, Sync.id == SyncRun.sync_id)
            .where(SyncRun.status == RunStatus.QUEUED.value, Sync.enabled.is_(True))
            .order_by(SyncRun.id)
            .limit(limit)
        )
        if run_id is not None:
            query = query.where(SyncRun.id == run_id)
        candidates = list(await session.scalars(query))
    for candidate in candidates:
        now = utcnow()
        try:
            async with db.transaction() as session:
                result = await session.execute(
                    update(SyncRun)
                    .where(SyncRun.id == candidate, SyncRun.status == RunStatus.QUEUED.value)
                    .values(
                        status=RunStatus.RUNNING.value,
                        worker=worker,
                        started_at=now,
                        heartbeat_at=now,
                        lease_until=now + timedelta(seconds=lease),
                        starts=SyncRun.starts + 1,
                    )
                )
        except IntegrityError:
            continue  # its sync is running elsewhere; it stays queued
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return candidate
    return None


async def stale_runs(db: Database, now: datetime | None = None) -> list[int]:
    """Running runs whose lease has lapsed (their worker died or hung)."""
    async with db.sessions() as session:
        return list(
            await session.scalars(
                select(SyncRun.id)
                .where(
                    SyncRun.status == RunStatus.RUNNING.value,
                    SyncRun.lease_until < (now or utcnow()),
                )
                .order_by(SyncRun.id)
            )
        )


async def take_over(db: Database, run_id: int, worker: str, lease: float) -> bool:
    """Make ``worker`` the owner of stale run ``run_id``; False if someone else did first.

    A run started :data:`MAX_STARTS` times is failed instead, with a message saying so.
    """
    now = utcnow()
    async with db.transaction() as session:
        run = await session.get(SyncRun, run_id)
        if run is None or run.status != RunStatus.RUNNING or not run.lease_until:
            return False
        if run.lease_until >= now:
            return False
        if run.starts >= MAX_STARTS:
            run.status = RunStatus.FAILED.value
            run.finished_at = now
            run.lease_until = None
            run.error = (
                f"gave up after {run.starts} starts: the workers running it stopped "
                f"without finishing (last: {run.worker}); see the worker logs"
            )
            return False
        result = await session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id, SyncRun.lease_until == run.lease_until)
            .values(
                worker=worker,
                heartbeat_at=now,
                lease_until=now + timedelta(seconds=lease),
                starts=SyncRun.starts + 1,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def fence(session: AsyncSession, run_id: int, worker: str, **counts: Any) -> None:
    """Inside a write transaction: add ``counts`` to the run, if ``worker`` still owns it.

    Written first in every transaction of a run, so it also takes SQLite's write lock.

    Raises:
        LeaseLost: the run was taken over (or finished) by someone else.
    """
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    for name, value in counts.items():
        column = getattr(SyncRun, name)
        values[name] = column + value if isinstance(value, int) else value
    result = await session.execute(
        update(SyncRun)
        .where(
            SyncRun.id == run_id,
            SyncRun.worker == worker,
            SyncRun.status == RunStatus.RUNNING.value,
        )
        .values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(f"run {run_id} is no longer owned by {worker}")


async def renew(db: Database, run_id: int, worker: str, lease: float) -> bool:
    """Extend the lease (a heartbeat); False when the run is no longer ``worker``'s."""
    now = utcnow()
    async with db.transaction() as session:
        result = await session.execute(
            update(SyncRun)
            .where(
                SyncRun.id == run_id,
                SyncRun.worker == worker,
                SyncRun.status == RunStatus.RUNNING.value,
            )
            .values(heartbeat_at=now, lease_until=now + timedelta(seconds=lease))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def release(db: Database, run_id: int, worker: str) -> None:
    """Give a run up without finishing it (shutdown): any worker may resume it at once."""
    async with db.transaction() as session:
        await session.execute(
            update(SyncRun)
            .where(SyncRun.id == run_id, SyncRun.worker == worker)
            .values(lease_until=utcnow())
        )


async def finish(
    db: Database, run_id: int, worker: str, status: RunStatus, error: str | None = None
) -> bool:
    """Close the run with ``status`` (and ``error``); False if it was not ``worker``'s."""
    async with db.transaction() as session:
        result = await session.execute(
            update(SyncRun)
            .where(
                SyncRun.id == run_id,
                SyncRun.worker == worker,
                SyncRun.status == RunStatus.RUNNING.value,
            )
            .values(status=status.value, error=error, finished_at=utcnow(), lease_until=None)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
