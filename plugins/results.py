"""What destinations hand back: one result per record, and batch-level facts."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec


class RecordStatus(StrEnum):
    #: The platform took the record (it may still fail to match anyone).
    ACCEPTED = "accepted"
    #: The platform refused this record for good (invalid phone...): dead-lettered.
    REJECTED = "rejected"
    #: This record failed transiently; the engine retries it.
    RETRY = "retry"
    #: Whether it was applied is unknown (non-idempotent sends): parked for a lookup.
    UNKNOWN = "unknown"


class RecordResult(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of one record. ``key`` is the key of the member or recipient sent."""

    key: str
    status: RecordStatus
    reason: str | None = None
    #: The platform's own code for this record (e.g. Aliyun ``isv.MOBILE_NUMBER_ILLEGAL``).
    code: str | None = None
    #: The platform's id for what was created (a message id, an upload id...).
    platform_id: str | None = None


class PendingJob(msgspec.Struct, frozen=True, kw_only=True):
    """A long-running platform job (an upload being processed) for ``poll`` to follow."""

    id: str
    #: Anything the plugin needs to poll it later; must be JSON-serializable.
    data: dict[str, Any] = {}


class JobState(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobStatus(msgspec.Struct, frozen=True, kw_only=True):
    state: JobState
    message: str | None = None
    #: Per-record outcomes, when the platform reports them only once the job is done.
    results: tuple[RecordResult, ...] = ()
    #: How many records the platform matched to its users, when it says.
    matched: int | None = None


class BatchResult(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of one call with a batch of records.

    ``results`` holds exactly one entry per record sent (the conformance kit checks it).
    ``received`` / ``invalid`` / ``matched`` carry the platform's own counts where it
    reports them (Meta's ``num_received`` and ``num_invalid_entries``...).
    """

    results: tuple[RecordResult, ...]
    job: PendingJob | None = None
    received: int | None = None
    invalid: int | None = None
    matched: int | None = None
    #: Warnings the run should show (e.g. removals degraded to add-only).
    warnings: tuple[str, ...] = ()

    @classmethod
    def all_accepted(cls, keys: Any, **facts: Any) -> BatchResult:
        """A result accepting every key in ``keys``."""
        return cls(
            results=tuple(RecordResult(key=k, status=RecordStatus.ACCEPTED) for k in keys),
            **facts,
        )


class CheckResult(msgspec.Struct, frozen=True, kw_only=True):
    """What ``check`` found: ``ok`` and a sentence an admin can act on."""

    ok: bool
    message: str
    details: dict[str, Any] = {}
