"""Sending one batch: rate limit, retries, per-record results, and the acknowledgement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from junction.core.db.types import utcnow
from junction.core.sync.batches import close_batch, open_batch, record_attempt
from junction.core.sync.job import Job, RunAborted
from junction.core.sync.ledger import Action, Op, OpStatus, dead_letter, settle
from junction.core.sync.outcomes import BatchOutcome, describe, judge
from junction.core.sync.retry import backoff, call_with_retries
from junction.core.sync.runs import fence
from junction.plugins import (
    Audience,
    AudienceDestination,
    AuthFailed,
    BatchResult,
    ConfigInvalid,
    JobState,
    Member,
    Message,
    Messenger,
    OutcomeUnknown,
    PermanentFailure,
    Recipient,
    ReplaceSession,
    Retryable,
)

__all__ = ["Sender"]

#: Polls of a long-running platform job before its records count as failed (for now).
MAX_POLLS = 30
#: Distinct warnings a run keeps in its details.
MAX_WARNINGS = 20


class Sender:
    """Sends the batches of one run to one audience, or one message to its recipients."""

    def __init__(
        self, job: Job, audience: Audience | None, *, seq: int, message: Message | None = None
    ) -> None:
        assert isinstance(job.connector, AudienceDestination | Messenger)
        self.job = job
        self.connector: AudienceDestination[Any] | Messenger[Any] = job.connector
        self.audience = audience
        self.message = message
        self.seq = seq
        #: RETRY answers per key in this run: resent while the budget allows.
        self.retries: dict[str, int] = {}
        self.session_id = f"junction-{job.sync.id}-{job.run.id}"

    async def send(
        self,
        action: Action,
        ops: Sequence[Op],
        members: Sequence[Member] | Sequence[Recipient],
        *,
        last: bool,
    ) -> None:
        """Send ``members`` (or recipients: one per op, same keys) and acknowledge the batch.

        Raises:
            AuthFailed, ConfigInvalid: the destination refused the credentials or config.
            RunAborted: the plugin raised something outside its error hierarchy.
            LeaseLost: the run was taken over.
        """
        job = self.job
        by_key = {member.key: member for member in members}
        batch = [by_key[op.key] for op in ops]
        self.seq += 1
        seq = self.seq
        batch_id = await open_batch(job, seq, action.value, len(batch))
        attempts = 0
        started = utcnow()

        async def on_attempt(number: int, error: BaseException | None) -> None:
            nonlocal attempts, started
            attempts = number
            await record_attempt(job, batch_id, number, started, error)
            started = utcnow()

        async def call() -> BatchResult:
            if job.bucket is not None:
                await job.bucket.acquire()
            if action is Action.SEND:
                assert isinstance(self.connector, Messenger) and self.message is not None
                return await self.connector.send(job.ctx, self.message, batch)  # type: ignore[arg-type]
            assert isinstance(self.connector, AudienceDestination) and self.audience is not None
            if action is Action.ADD:
                return await self.connector.add(job.ctx, self.audience, batch)
            if action is Action.REMOVE:
                return await self.connector.remove(job.ctx, self.audience, batch)
            session = ReplaceSession(id=self.session_id, seq=seq, last=last)
            return await self.connector.replace(job.ctx, self.audience, batch, session)

        error: str | None = None
        try:
            result = await call_with_retries(
                call, policy=job.policy, budget=job.budget, on_attempt=on_attempt
            )
            result = await self._settled(result)
            outcome = judge(ops, action.value, result)
            warnings = list(result.warnings)
            platform = _platform_counts(result)
        except Retryable as exc:
            error = f"gave up after {attempts} attempts: {describe(exc)}"
            outcome, warnings, platform = BatchOutcome(), [], {}
            outcome.retry = [op.key for op in ops]
            self.retries.update({op.key: 10**6 for op in ops})  # no more tries this run
        except OutcomeUnknown as exc:
            error = describe(exc)
            outcome, warnings = _all(ops, action, OpStatus.UNKNOWN, error, "unknown"), []
            platform = {}
        except PermanentFailure as exc:
            error = describe(exc)
            outcome, warnings = (
                _all(ops, action, OpStatus.REJECTED, error, "rejected", exc.code),
                [],
            )
            platform = {}
        except (AuthFailed, ConfigInvalid) as exc:
            await self._close_failed(batch_id, attempts, describe(exc))
            raise
        except Exception as exc:
            message = f"the {job.spec.name} plugin failed: {describe(exc)}"
            await self._close_failed(batch_id, attempts, message)
            raise RunAborted(message) from exc
        details = self._details(warnings, platform)
        await self._acknowledge(
            action, ops, outcome, batch_id, seq, attempts, error, warnings, details
        )

    async def _settled(self, result: BatchResult) -> BatchResult:
        """Follow a long-running platform job to its end; its results replace the batch's."""
        job = self.job
        if result.job is None or not isinstance(self.connector, AudienceDestination):
            return result
        for poll in range(1, MAX_POLLS + 1):
            status = await self.connector.poll(job.ctx, result.job)
            if status.state is JobState.SUCCEEDED:
                return BatchResult(
                    results=status.results or result.results,
                    received=result.received,
                    invalid=result.invalid,
                    matched=status.matched if status.matched is not None else result.matched,
                    warnings=result.warnings,
                )
            if status.state is JobState.FAILED:
                raise Retryable(f"the platform job {result.job.id} failed: {status.message}")
            await job.policy.sleep(backoff(job.policy, poll, None))
        # Platforms process uploads for hours (matching, not validation): the data is
        # with them. Count the batch as the plugin answered it and say so, rather than
        # uploading it again next run.
        return msgspec.structs.replace(
            result,
            job=None,
            warnings=(
                *result.warnings,
                f"the platform was still processing job {result.job.id} after {MAX_POLLS} "
                "checks; its records count as the upload was answered and the platform "
                "finishes them on its own",
            ),
        )

    async def _acknowledge(
        self,
        action: Action,
        ops: Sequence[Op],
        outcome: BatchOutcome,
        batch_id: int,
        seq: int,
        attempts: int,
        error: str | None,
        warnings: list[str],
        details: dict[str, Any] | None,
    ) -> None:
        job = self.job
        failed = 0
        for op in ops:
            if op.key not in outcome.retry:
                continue
            tries = self.retries.get(op.key, 0) + 1
            self.retries[op.key] = tries
            # A replacement session can't take a record back later: fail it now.
            if (
                action is not Action.REPLACE
                and tries < job.policy.attempts
                and job.budget.can_spend(0)
            ):
                job.budget.spend(0)
                outcome.updates.append({"op_id": op.id, "status": OpStatus.PENDING.value})
            else:
                failed += 1
                outcome.updates.append(
                    {"op_id": op.id, "status": OpStatus.FAILED.value, "reason": error or "retry"}
                )
        fresh = sum(1 for op in ops if op.run_id != job.run.id)
        async with job.db.transaction() as session:
            await fence(
                session,
                job.run.id,
                job.worker,
                sent=fresh,
                accepted=outcome.accepted,
                rejected=outcome.rejected,
                dead_lettered=outcome.rejected,
                unknown=outcome.unknown,
                failed=failed,
                retries=max(0, attempts - 1) + len(outcome.retry) - failed,
                **({"details": details} if details is not None else {}),
            )
            await settle(session, outcome.updates, run_id=job.run.id, batch_seq=seq, sends=attempts)
            await dead_letter(session, outcome.letters, sync_id=job.sync.id, run_id=job.run.id)
            await close_batch(
                session,
                batch_id,
                status="failed" if error and not outcome.accepted else "acked",
                accepted=outcome.accepted,
                rejected=outcome.rejected,
                unknown=outcome.unknown,
                retry=len(outcome.retry),
                attempts=attempts,
                error=error or ("; ".join(warnings) if warnings else None),
            )

    def _details(self, warnings: list[str], platform: dict[str, int]) -> dict[str, Any] | None:
        """The run's details with this batch's platform counts and warnings added.

        None when the batch adds nothing. ``platform`` sums what destinations report
        about what they received (Meta's num_received, a job's matched count...), which
        the match-rate view reads; warnings are kept once each, at most MAX_WARNINGS.
        """
        if not warnings and not platform:
            return None
        details = dict(self.job.run.details or {})
        if platform:
            totals = dict(details.get("platform") or {})
            for name, value in platform.items():
                totals[name] = int(totals.get(name, 0)) + value
            details["platform"] = totals
        known = list(details.get("warnings") or [])
        for warning in warnings:
            if warning not in known and len(known) < MAX_WARNINGS:
                known.append(warning)
        if known:
            details["warnings"] = known
        self.job.run.details = details
        return details

    async def _close_failed(self, batch_id: int, attempts: int, error: str) -> None:
        async with self.job.db.transaction() as session:
            await close_batch(session, batch_id, status="failed", attempts=attempts, error=error)


def _platform_counts(result: BatchResult) -> dict[str, int]:
    counts = {"received": result.received, "invalid": result.invalid, "matched": result.matched}
    return {name: value for name, value in counts.items() if value is not None}


def _all(
    ops: Sequence[Op],
    action: Action,
    status: OpStatus,
    reason: str,
    kind: str,
    code: str | None = None,
) -> BatchOutcome:
    outcome = BatchOutcome()
    for op in ops:
        outcome.add(op, action.value, status, reason, code, kind)
    return outcome
