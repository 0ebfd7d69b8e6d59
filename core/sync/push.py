"""Executing a push run: plan once, then send the ledger's pending operations in batches.

Batches are sized by the destination's declared limits, each call waits for a token
of the connection's rate limiter and is retried (only when retryable) within the run's
budget. The results of a batch, its operations' new statuses, dead letters and the
run's counts commit in one transaction, fenced on still owning the run: that commit is
the batch's acknowledgement. A crash before it leaves the operations pending, and the
run resumed by another worker sends them again with the same keys; the destination
applies each key once.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import msgspec
from sqlalchemy import func, select, update

from junction.core.db.tables import Segment, Sync, SyncOperation, SyncRun
from junction.core.db.types import utcnow
from junction.core.pii import PiiRegistry
from junction.core.secrets import SecretBox
from junction.core.sync.batches import last_seq
from junction.core.sync.changes import SegmentAudience
from junction.core.sync.definitions import SyncMode
from junction.core.sync.job import Job, RunAborted
from junction.core.sync.ledger import Action, Op, OpStatus, dead_letter, pending, settle
from junction.core.sync.outcomes import BatchOutcome, describe
from junction.core.sync.plan import plan_push
from junction.core.sync.prepare import MemberFactory
from junction.core.sync.retry import call_with_retries
from junction.core.sync.runs import fence
from junction.core.sync.sender import Sender
from junction.plugins import (
    Audience,
    AudienceDestination,
    AudienceRequest,
    AuthFailed,
    ConfigInvalid,
    Member,
    PluginError,
)

__all__ = ["DEFAULT_BATCH", "abandon_pending", "report_progress", "run_push"]

#: Batch size for destinations that declare no limit.
DEFAULT_BATCH = 1000


async def run_push(job: Job, registry: PiiRegistry, box: SecretBox) -> None:
    """Plan (unless a resumed run already did) and deliver run ``job.run``.

    Raises:
        RunAborted: the destination refused the credentials or config, or the plugin
            failed unexpectedly; what is still pending is marked failed first.
        LeaseLost: another worker owns the run now.
    """
    async with job.db.sessions() as session:
        segment = await session.get(Segment, job.sync.segment_id)
    if segment is None:
        raise RunAborted("the sync's segment no longer exists")
    if job.run.planned_at is None:
        await plan_push(
            job.db, job.sync, job.run, SegmentAudience(job.db, segment.name), job.worker
        )
    try:
        audience = await _ensure_audience(job, segment)
        await _deliver(job, audience, registry, box)
    except (AuthFailed, ConfigInvalid) as exc:
        await abandon_pending(job)
        raise RunAborted(f"{job.connection.name} refused the sync: {describe(exc)}") from exc
    except RunAborted:
        await abandon_pending(job)
        raise


async def _ensure_audience(job: Job, segment: Segment) -> Audience:
    assert isinstance(job.connector, AudienceDestination)
    connector = job.connector
    known = job.sync.state.get("audience") or {}
    request = AudienceRequest(
        name=segment.name, description=segment.description, existing_id=known.get("id")
    )

    async def call() -> Audience:
        if job.bucket is not None:
            await job.bucket.acquire()
        return await connector.ensure_audience(job.ctx, request)

    try:
        audience = await call_with_retries(call, policy=job.policy, budget=job.budget)
    except PluginError as exc:
        if isinstance(exc, AuthFailed | ConfigInvalid):
            raise
        raise RunAborted(f"could not find or create the audience: {describe(exc)}") from exc
    state = {**job.sync.state, "audience": msgspec.to_builtins(audience)}
    details = {**(job.run.details or {}), "audience": {"id": audience.id, "size": audience.size}}
    job.run.details = details
    async with job.db.transaction() as session:
        await fence(session, job.run.id, job.worker, details=details)
        await session.execute(update(Sync).where(Sync.id == job.sync.id).values(state=state))
    job.sync.state = state
    return audience


async def _deliver(job: Job, audience: Audience, registry: PiiRegistry, box: SecretBox) -> None:
    """Send every pending operation, preparing the next batch while one is in flight.

    Two stages joined by a one-slot queue: reading and preparing batch N+1 (database
    and CPU) overlaps sending and acknowledging batch N (network and database).
    """
    rules = [rule for rule in job.spec.accepts if rule.type in job.sync.identifiers]
    factory = MemberFactory(rules, registry, box)
    sender = Sender(job, audience, seq=await last_seq(job))
    size = job.sync.batch_size or job.spec.limits.max_batch_records or DEFAULT_BATCH
    replace = job.sync.mode == SyncMode.REPLACE
    actions = (Action.REPLACE,) if replace else (Action.REMOVE, Action.ADD)
    if not replace and await _hold_removes(job, audience):
        actions = (Action.ADD,)
    queue: asyncio.Queue[_Prepared | None] = asyncio.Queue(maxsize=1)

    async def produce() -> None:
        try:
            await _produce()
        except asyncio.CancelledError:
            raise  # the consumer is gone: nobody to tell
        except BaseException:
            await queue.put(None)  # stop the consumer; the error surfaces below
            raise
        await queue.put(None)

    async def _produce() -> None:
        for action in actions:
            after = 0
            while True:
                async with job.db.sessions() as session:
                    ops = await pending(session, job.sync.id, action, size + 1, after=after)
                    if ops:
                        members, problems = await factory.build(session, ops[:size])
                if not ops:
                    if after == 0:
                        break
                    # Another pass for what the platform asked to resend, once the
                    # batches in flight have been acknowledged.
                    await queue.join()
                    after = 0
                    continue
                more = len(ops) > size
                ops = ops[:size]
                after = ops[-1].id
                await queue.put(_Prepared(action, ops, members, problems, replace and not more))
            await queue.join()  # removes are acknowledged before any add goes out

    async def consume() -> None:
        while (batch := await queue.get()) is not None:
            try:
                if batch.problems:
                    await _unprepared(job, batch.ops, batch.action, batch.problems)
                sendable = [op for op in batch.ops if op.key not in batch.problems]
                if sendable:
                    await sender.send(batch.action, sendable, batch.members, last=batch.last)
                await report_progress(job)
            finally:
                queue.task_done()
        queue.task_done()

    producer = asyncio.create_task(produce())
    try:
        await consume()
    finally:
        if not producer.done():
            producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer  # re-raises what stopped the producer


@dataclass(frozen=True)
class _Prepared:
    action: Action
    ops: list[Op]
    members: list[Member]
    problems: dict[str, str]
    last: bool


async def _unprepared(job: Job, ops: list[Op], action: Action, problems: dict[str, str]) -> None:
    outcome = BatchOutcome()
    for op in ops:
        if op.key in problems:
            outcome.add(op, action.value, OpStatus.REJECTED, problems[op.key], kind="unprepared")
    async with job.db.transaction() as session:
        await fence(session, job.run.id, job.worker, dead_lettered=len(outcome.updates))
        await settle(session, outcome.updates, run_id=job.run.id, batch_seq=None, sends=0)
        await dead_letter(session, outcome.letters, sync_id=job.sync.id, run_id=job.run.id)


async def _hold_removes(job: Job, audience: Audience) -> bool:
    """Hold this run's removes when they would shrink the audience below its minimum.

    Platforms refuse (or stop serving) audiences under their minimum size; rather
    than failing the run, it degrades to add-only: the removes are marked failed,
    so the next run sends them again (failed-key memory), and the run says why.
    """
    minimum = job.spec.limits.min_audience_size
    if minimum is None or audience.size is None:
        return False
    pending_removes = (
        SyncOperation.sync_id == job.sync.id,
        SyncOperation.status == OpStatus.PENDING.value,
        SyncOperation.action == Action.REMOVE.value,
    )
    async with job.db.sessions() as session:
        count = select(func.count()).select_from(SyncOperation).where(*pending_removes)
        removes = int(await session.scalar(count) or 0)
    if removes == 0 or audience.size - removes >= minimum:
        return False
    warning = (
        f"removals held: removing {removes} of the audience's {audience.size} members would "
        f"leave fewer than the platform's minimum of {minimum}; this run only adds, and "
        "the next run tries the removals again"
    )
    details = dict(job.run.details or {})
    details["warnings"] = [*details.get("warnings", []), warning]
    job.run.details = details
    async with job.db.transaction() as session:
        result = await session.execute(
            update(SyncOperation)
            .where(*pending_removes)
            .values(
                status=OpStatus.FAILED.value, run_id=job.run.id, settled_at=utcnow(), reason=warning
            )
        )
        held = int(result.rowcount or 0)  # type: ignore[attr-defined]
        await fence(session, job.run.id, job.worker, failed=held, details=details)
    job.ctx.log.warning("sync %s: %s", job.sync.name, warning)
    return True


async def abandon_pending(job: Job) -> None:
    """Mark what is still pending as failed, so the next run sends it (failed-key memory)."""
    async with job.db.transaction() as session:
        result = await session.execute(
            update(SyncOperation)
            .where(
                SyncOperation.sync_id == job.sync.id,
                SyncOperation.status == OpStatus.PENDING.value,
            )
            .values(status=OpStatus.FAILED.value, run_id=job.run.id, settled_at=utcnow())
        )
        await fence(session, job.run.id, job.worker, failed=int(result.rowcount or 0))  # type: ignore[attr-defined]


async def report_progress(job: Job) -> None:
    if job.progress is None:
        return
    async with job.db.sessions() as session:
        run = await session.get(SyncRun, job.run.id)
    if run is not None:
        done = run.accepted + run.dead_lettered + run.unknown + run.failed + run.skipped_consent
        done += run.skipped_cap + run.deferred
        job.report(done, run.planned)
