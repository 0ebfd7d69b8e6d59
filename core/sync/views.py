"""Runs, batches, attempts and dead letters as the API and CLI show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select

from junction.core.db import Database
from junction.core.db.tables import Sync, SyncAttempt, SyncBatch, SyncRun
from junction.core.errors import NotFoundError

__all__ = ["AttemptView", "BatchView", "RunDetail", "RunView", "get_run", "list_runs"]


class RunView(msgspec.Struct, frozen=True, kw_only=True):
    """A run: status, timings and counts.

    For a push or message run, ``planned`` = ``accepted`` + ``dead_lettered`` +
    ``unknown`` + ``failed`` + ``skipped_consent`` + ``skipped_cap`` + ``deferred``
    once it has finished (the last two only ever count for message runs), and ``sent``
    counts each record handed to the destination once however often it was resent.
    """

    id: int
    sync: str
    status: str
    trigger: str
    actor: str
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    worker: str | None
    lease_until: datetime | None
    starts: int
    from_segment_run: int | None
    to_segment_run: int | None
    planned: int
    sent: int
    accepted: int
    rejected: int
    skipped_consent: int
    skipped_cap: int
    deferred: int
    dead_lettered: int
    unknown: int
    failed: int
    retries: int
    error: str | None
    details: dict[str, Any]


class AttemptView(msgspec.Struct, frozen=True, kw_only=True):
    number: int
    started_at: datetime
    finished_at: datetime
    outcome: str
    error: str | None
    retry_after: float | None


class BatchView(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    operation: str
    size: int
    status: str
    accepted: int
    rejected: int
    unknown: int
    retry: int
    attempts: list[AttemptView]
    started_at: datetime
    finished_at: datetime | None
    error: str | None


class RunDetail(msgspec.Struct, frozen=True, kw_only=True):
    run: RunView
    batches: list[BatchView]


def run_view(run: SyncRun, sync: str) -> RunView:
    fields = {f: getattr(run, f) for f in RunView.__struct_fields__ if f != "sync"}
    fields["details"] = dict(run.details or {})
    return RunView(sync=sync, **fields)


async def list_runs(db: Database, *, sync: str | None = None, limit: int = 50) -> list[RunView]:
    """The newest runs, of one sync or of all."""
    async with db.sessions() as session:
        query = (
            select(SyncRun, Sync.name)
            .join(Sync, Sync.id == SyncRun.sync_id)
            .order_by(SyncRun.id.desc())
            .limit(limit)
        )
        if sync is not None:
            query = query.where(Sync.name == sync)
        return [run_view(run, name) for run, name in await session.execute(query)]


async def get_run(db: Database, run_id: int) -> RunDetail:
    """One run with its batches and their attempts.

    Raises:
        NotFoundError: no such run.
    """
    async with db.sessions() as session:
        row = (
            await session.execute(
                select(SyncRun, Sync.name)
                .join(Sync, Sync.id == SyncRun.sync_id)
                .where(SyncRun.id == run_id)
            )
        ).first()
        if row is None:
            raise NotFoundError(f"no sync run {run_id}")
        batches = (
            await session.scalars(
                select(SyncBatch).where(SyncBatch.run_id == run_id).order_by(SyncBatch.seq)
            )
        ).all()
        attempts: dict[int, list[AttemptView]] = {}
        ids = [batch.id for batch in batches]
        for start in range(0, len(ids), 5000):
            for attempt in await session.scalars(
                select(SyncAttempt)
                .where(SyncAttempt.batch_id.in_(ids[start : start + 5000]))
                .order_by(SyncAttempt.batch_id, SyncAttempt.number)
            ):
                attempts.setdefault(attempt.batch_id, []).append(
                    AttemptView(
                        number=attempt.number,
                        started_at=attempt.started_at,
                        finished_at=attempt.finished_at,
                        outcome=attempt.outcome,
                        error=attempt.error,
                        retry_after=attempt.retry_after,
                    )
                )
    return RunDetail(
        run=run_view(row[0], row[1]),
        batches=[
            BatchView(
                seq=batch.seq,
                operation=batch.operation,
                size=batch.size,
                status=batch.status,
                accepted=batch.accepted,
                rejected=batch.rejected,
                unknown=batch.unknown,
                retry=batch.retry,
                attempts=attempts.get(batch.id, []),
                started_at=batch.started_at,
                finished_at=batch.finished_at,
                error=batch.error,
            )
            for batch in batches
        ],
    )
