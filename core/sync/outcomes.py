"""What one batch's results mean for its operations, and how a call's error is named."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from junction.core.redaction import known_secrets
from junction.core.sync.ledger import Op, OpStatus
from junction.plugins import (
    AuthFailed,
    BatchResult,
    ConfigInvalid,
    OutcomeUnknown,
    PermanentFailure,
    RateLimited,
    RecordStatus,
    Retryable,
)

__all__ = ["BatchOutcome", "attempt_outcome", "describe", "judge"]


@dataclass
class BatchOutcome:
    """The operations of one batch, sorted by fate, ready for the ledger."""

    updates: list[dict[str, Any]] = field(default_factory=list)
    letters: list[dict[str, Any]] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    unknown: int = 0
    #: Keys the platform asked to resend (``RecordStatus.RETRY`` or no result).
    retry: list[str] = field(default_factory=list)

    def add(
        self,
        op: Op,
        action: str,
        status: OpStatus,
        reason: str | None = None,
        code: str | None = None,
        kind: str | None = None,
    ) -> None:
        """Record ``op``'s new status; ``kind`` set also files a dead letter of that kind."""
        op_id, key, pid = op.id, op.key, op.profile_id
        self.updates.append({"op_id": op_id, "status": status.value, "reason": reason})
        if status is OpStatus.ACCEPTED:
            self.accepted += 1
        elif status is OpStatus.REJECTED:
            self.rejected += 1
        elif status is OpStatus.UNKNOWN:
            self.unknown += 1
        if kind is not None:
            self.letters.append(
                {
                    "operation_id": op_id,
                    "key": key,
                    "profile_id": pid,
                    "action": action,
                    "kind": kind,
                    "reason": reason or kind,
                    "code": code,
                }
            )


def judge(ops: Sequence[Op], action: str, result: BatchResult) -> BatchOutcome:
    """Sort ``ops`` by the platform's per-record results."""
    by_key = {item.key: item for item in result.results}
    outcome = BatchOutcome()
    for op in ops:
        item = by_key.get(op.key)
        if item is None or item.status is RecordStatus.RETRY:
            outcome.retry.append(op.key)
        elif item.status is RecordStatus.ACCEPTED:
            outcome.add(op, action, OpStatus.ACCEPTED)
        elif item.status is RecordStatus.REJECTED:
            reason = item.reason or "rejected by the platform"
            outcome.add(op, action, OpStatus.REJECTED, reason, item.code, "rejected")
        else:
            reason = item.reason or "the platform could not say whether it was applied"
            outcome.add(op, action, OpStatus.UNKNOWN, reason, item.code, "unknown")
    return outcome


def attempt_outcome(error: BaseException | None) -> str:
    """The ``sync_attempts.outcome`` word for an attempt that ended with ``error``."""
    if error is None:
        return "ok"
    for kind, word in (
        (RateLimited, "rate_limited"),
        (Retryable, "retryable"),
        (AuthFailed, "auth_failed"),
        (ConfigInvalid, "config_invalid"),
        (PermanentFailure, "permanent"),
        (OutcomeUnknown, "unknown"),
    ):
        if isinstance(error, kind):
            return word
    return "error"


def describe(error: BaseException) -> str:
    """A one-line account of ``error`` for run records, with known secrets scrubbed."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    code = getattr(error, "code", None)
    suffix = f" (code {code})" if code else ""
    return known_secrets.scrub(f"{type(error).__name__}: {message}{suffix}")
