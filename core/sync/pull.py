"""Executing a pull run: read from the source, store through the hub's intake, checkpoint.

Records are written with :meth:`HubIngest.write_records`, which returns only after
the commit holding them. A :class:`Checkpoint`'s state is committed to the sync only
after every record yielded before it has been written, so a crash re-reads from the
last committed checkpoint and never skips a record; what is read twice the hub
deduplicates (message ids, order ids).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import update

from junction.core.db.tables import Sync
from junction.core.sync.batches import close_batch, last_seq, open_batch
from junction.core.sync.job import Job, RunAborted
from junction.core.sync.outcomes import describe
from junction.core.sync.retry import call_with_retries
from junction.core.sync.runs import fence
from junction.plugins import AuthFailed, Checkpoint, ConfigInvalid, PluginError, Record, Source
from junction.plugins.receiver import IngestResult, SourceRef

__all__ = ["FLUSH_RECORDS", "RecordWriter", "run_pull"]

#: Records written per commit when a source checkpoints rarely.
FLUSH_RECORDS = 1000


class RecordWriter(Protocol):
    """The hub's durable intake (:class:`~junction.core.ingest.HubIngest`)."""

    async def write_records(self, source: SourceRef, records: list[Record]) -> IngestResult: ...


async def run_pull(job: Job, intake: RecordWriter) -> None:
    """Read the source from its committed state; write records, then checkpoints.

    A retryable failure of the source restarts the read from the last committed
    checkpoint, within the run's retry budget.

    Raises:
        RunAborted: the source refused the credentials or config, failed for good,
            or the plugin raised something outside its error hierarchy.
        LeaseLost: another worker owns the run now.
    """
    connector = job.connector
    assert isinstance(connector, Source)
    source = SourceRef(id=job.connection.id, name=job.connection.name, plugin=job.spec.name)
    reader = _Reader(job, intake, source, await last_seq(job))
    try:
        await call_with_retries(
            lambda: reader.read(connector), policy=job.policy, budget=job.budget
        )
    except (AuthFailed, ConfigInvalid) as exc:
        raise RunAborted(f"{job.connection.name} refused the sync: {describe(exc)}") from exc
    except PluginError as exc:
        raise RunAborted(f"reading {job.connection.name} failed: {describe(exc)}") from exc
    finally:
        if job.budget.spent_retries:
            async with job.db.transaction() as session:
                await fence(session, job.run.id, job.worker, retries=job.budget.spent_retries)


class _Reader:
    def __init__(self, job: Job, intake: RecordWriter, source: SourceRef, seq: int) -> None:
        self.job = job
        self.intake = intake
        self.source = source
        self.seq = seq

    async def read(self, connector: Source[Any]) -> None:
        job = self.job
        # Every (re)read starts from the state last committed, never from memory.
        job.ctx.state = dict(job.sync.state)
        buffer: list[Record] = []
        try:
            async for item in connector.read(job.ctx):
                if isinstance(item, Checkpoint):
                    await self._write(buffer)
                    buffer = []
                    await self._commit_state(item.state)
                    continue
                buffer.append(item)
                if len(buffer) >= FLUSH_RECORDS:
                    await self._write(buffer)
                    buffer = []
        except PluginError:
            raise
        except Exception as exc:
            if isinstance(exc, RunAborted):
                raise
            raise RunAborted(f"the {job.spec.name} plugin failed: {describe(exc)}") from exc
        # Records after the last checkpoint are stored; the state does not move, so the
        # next run reads them again and the hub counts them as duplicates.
        await self._write(buffer)

    async def _write(self, records: list[Record]) -> None:
        if not records:
            return
        job = self.job
        self.seq += 1
        batch_id = await open_batch(job, self.seq, "write", len(records))
        result = await self.intake.write_records(self.source, records)
        async with job.db.transaction() as session:
            await fence(
                session,
                job.run.id,
                job.worker,
                planned=len(records),
                sent=len(records),
                accepted=result.accepted,
            )
            details = dict(job.run.details or {})
            details["duplicates"] = int(details.get("duplicates", 0)) + result.duplicates
            job.run.details = details
            await fence(session, job.run.id, job.worker, details=details)
            await close_batch(
                session, batch_id, status="acked", accepted=result.accepted, attempts=1
            )
        job.report(int(details.get("checkpoints", 0)), 0)

    async def _commit_state(self, state: dict[str, Any]) -> None:
        job = self.job
        async with job.db.transaction() as session:
            details = dict(job.run.details or {})
            details["checkpoints"] = int(details.get("checkpoints", 0)) + 1
            job.run.details = details
            await fence(session, job.run.id, job.worker, details=details)
            await session.execute(update(Sync).where(Sync.id == job.sync.id).values(state=state))
        job.sync.state = dict(state)
