"""Recording batches and attempts as they happen, so a run's detail survives a crash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import SyncAttempt, SyncBatch
from junction.core.db.types import utcnow
from junction.core.sync.job import Job
from junction.core.sync.outcomes import attempt_outcome, describe
from junction.core.sync.runs import fence

__all__ = ["close_batch", "last_seq", "open_batch", "record_attempt"]


async def last_seq(job: Job) -> int:
    """The highest batch number of the run so far (a resumed run continues after it)."""
    async with job.db.sessions() as session:
        seq = await session.scalar(
            select(func.max(SyncBatch.seq)).where(SyncBatch.run_id == job.run.id)
        )
    return int(seq or 0)


async def open_batch(job: Job, seq: int, operation: str, size: int) -> int:
    """Record a batch about to be sent; return its id. A batch left ``sending`` was cut
    short by a crash: its operations are still pending and go out again."""
    async with job.db.transaction() as session:
        await fence(session, job.run.id, job.worker)
        batch = SyncBatch(
            run_id=job.run.id, seq=seq, operation=operation, size=size, status="sending"
        )
        session.add(batch)
        await session.flush()
        return batch.id


async def record_attempt(
    job: Job, batch_id: int, number: int, started: datetime, error: BaseException | None
) -> None:
    """Record one call of a batch and how it ended."""
    async with job.db.transaction() as session:
        session.add(
            SyncAttempt(
                batch_id=batch_id,
                number=number,
                started_at=started,
                finished_at=utcnow(),
                outcome=attempt_outcome(error),
                error=describe(error) if error is not None else None,
                retry_after=getattr(error, "retry_after", None),
            )
        )


async def close_batch(session: AsyncSession, batch_id: int, **values: object) -> None:
    """Inside the acknowledging transaction: the batch's final status and counts."""
    await session.execute(
        update(SyncBatch).where(SyncBatch.id == batch_id).values(finished_at=utcnow(), **values)
    )
