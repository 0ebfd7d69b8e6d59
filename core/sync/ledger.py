"""The operations ledger: every membership change a push sync must apply, and its fate.

Each change gets a deterministic key (:func:`operation_key`): planning the same change
again yields the same key, which the unique index refuses, and the destination gets
the same key when a batch is resent, so it can apply it once. An operation moves::

    pending ──► accepted                       applied (once)
       │   ├──► rejected  + a dead letter      the platform refused it for good
       │   ├──► unknown   + a dead letter      may or may not be applied: parked
       │   └──► failed                         retries ran out: the next run resends
       ├──► skipped                            no consent: re-checked every run
       └──► superseded                         a newer change of the same profile won
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import SyncDeadLetter, SyncOperation
from junction.core.db.types import utcnow
from junction.core.sync.sql import among

__all__ = [
    "Action",
    "Op",
    "OpStatus",
    "dead_letter",
    "insert_operations",
    "live_profiles",
    "operation_key",
    "pending",
    "settle",
    "supersede",
]

_CHUNK = 5000


class Op(NamedTuple):
    """A pending operation as the sender handles it."""

    id: int
    key: str
    profile_id: int
    #: The run that last handled it (None if none did): a resend within a run is not
    #: counted as sent twice.
    run_id: int | None


class Action(StrEnum):
    ADD = "add"
    REMOVE = "remove"
    REPLACE = "replace"
    #: A message to one person (message syncs).
    SEND = "send"


class OpStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    FAILED = "failed"
    SKIPPED = "skipped"
    SUPERSEDED = "superseded"


#: Statuses a newer change of the same profile replaces.
LIVE = (OpStatus.PENDING, OpStatus.FAILED, OpStatus.SKIPPED)


def operation_key(sync_id: int, origin: str, profile_id: int, action: Action | str) -> str:
    """The operation id of one change: the same inputs always give the same key.

    ``origin`` names what caused the change: ``seg:<segment run>`` for a membership
    change, ``consent:<decision id>`` for a withdrawal, ``replace:<sync run>`` for a
    member of a full replacement.
    """
    text = f"{sync_id}|{origin}|{profile_id}|{Action(action).value}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


async def live_profiles(session: AsyncSession, sync_id: int) -> dict[int, int]:
    """Profile id → id of its live (pending, failed or skipped) operation."""
    rows = await session.execute(
        select(SyncOperation.profile_id, SyncOperation.id).where(
            SyncOperation.sync_id == sync_id, SyncOperation.status.in_(LIVE)
        )
    )
    return {pid: op_id for pid, op_id in rows}


async def supersede(session: AsyncSession, op_ids: Sequence[int]) -> None:
    """Mark operations replaced by newer changes of the same profiles."""
    ops = SyncOperation.__table__
    for start in range(0, len(op_ids), _CHUNK):
        await session.execute(
            update(ops)
            .where(ops.c.id.in_(op_ids[start : start + _CHUNK]))
            .values(status=OpStatus.SUPERSEDED.value, settled_at=utcnow())
        )


async def insert_operations(
    session: AsyncSession,
    *,
    sync_id: int,
    run_id: int,
    origin: str,
    segment_run_id: int | None,
    action: Action,
    profile_ids: Sequence[int],
    status: OpStatus = OpStatus.PENDING,
    reason: str | None = None,
) -> int:
    """Add one operation per profile; return how many were added."""
    rows = [
        {
            "sync_id": sync_id,
            "key": operation_key(sync_id, origin, pid, action),
            "profile_id": pid,
            "action": action.value,
            "segment_run_id": segment_run_id,
            "status": status.value,
            "planned_run_id": run_id,
            "sends": 0,
            "reason": reason,
        }
        for pid in profile_ids
    ]
    if not rows:
        return 0
    connection = await session.connection()
    if connection.dialect.name == "postgresql" and len(rows) > _CHUNK:
        # A full sync plans a whole segment: COPY is several times faster than INSERT.
        raw = await connection.get_raw_connection()
        columns = list(rows[0])
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            "sync_operations", records=[tuple(r.values()) for r in rows], columns=columns
        )
        return len(rows)
    for start in range(0, len(rows), _CHUNK):
        await connection.execute(insert(SyncOperation.__table__), rows[start : start + _CHUNK])
    return len(rows)


async def pending(
    session: AsyncSession, sync_id: int, action: Action, limit: int, *, after: int = 0
) -> list[Op]:
    """Up to ``limit`` pending operations of ``action`` with ids above ``after``, in id order.

    Callers page with ``after``: on PostgreSQL the index still holds entries of
    operations settled moments ago (until vacuum), and starting each page from the
    beginning would step over all of them again.
    """
    rows = await session.execute(
        select(SyncOperation.id, SyncOperation.key, SyncOperation.profile_id, SyncOperation.run_id)
        .where(
            SyncOperation.sync_id == sync_id,
            SyncOperation.status == OpStatus.PENDING.value,
            SyncOperation.action == action.value,
            SyncOperation.id > after,
        )
        .order_by(SyncOperation.id)
        .limit(limit)
    )
    return [Op(*row) for row in rows]


async def settle(
    session: AsyncSession,
    updates: Sequence[dict[str, Any]],
    *,
    run_id: int,
    batch_seq: int | None,
    sends: int,
) -> None:
    """Write each operation's new status; ``updates`` hold ``op_id``, ``status``, ``reason``.

    ``sends`` is how many times the batch went out (its attempts). Operations sharing a
    status and reason (most of a batch: accepted) are updated by one ``IN`` statement.
    """
    groups: dict[tuple[str, str | None], list[int]] = {}
    for item in updates:
        groups.setdefault((item["status"], item.get("reason")), []).append(item["op_id"])
    ops = SyncOperation.__table__
    now = utcnow()
    connection = await session.connection()
    dialect = connection.dialect.name
    for (status, reason), ids in groups.items():
        for start in range(0, len(ids), _CHUNK):
            await connection.execute(
                update(ops)
                .where(among(ops.c.id, ids[start : start + _CHUNK], dialect))
                .values(
                    status=status,
                    reason=reason,
                    run_id=run_id,
                    batch_seq=batch_seq,
                    sends=ops.c.sends + sends,
                    settled_at=now,
                )
            )


async def dead_letter(
    session: AsyncSession, letters: Sequence[dict[str, Any]], *, sync_id: int, run_id: int
) -> None:
    """Store dead letters: ``operation_id``, ``key``, ``profile_id``, ``action``, ``kind``,
    ``reason`` and optionally ``code``."""
    if not letters:
        return
    now = utcnow()
    rows = [
        {"sync_id": sync_id, "run_id": run_id, "created_at": now, "code": None, **letter}
        for letter in letters
    ]
    for start in range(0, len(rows), _CHUNK):
        await session.execute(insert(SyncDeadLetter.__table__), rows[start : start + _CHUNK])


async def requeue_failed(session: AsyncSession, sync_id: int) -> int:
    """Failed-key memory: make what ran out of retries pending again; return how many
    operations of the sync are pending now (what this run plans to send)."""
    await session.execute(
        update(SyncOperation)
        .where(SyncOperation.sync_id == sync_id, SyncOperation.status == OpStatus.FAILED.value)
        .values(status=OpStatus.PENDING.value)
    )
    pending_now = await session.scalar(
        select(func.count())
        .select_from(SyncOperation)
        .where(SyncOperation.sync_id == sync_id, SyncOperation.status == OpStatus.PENDING.value)
    )
    return int(pending_now or 0)
