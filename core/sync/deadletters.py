"""Dead letters: records a push sync could not deliver, listed and replayed by hand.

Replaying marks the letters' operations ``failed``, which the next run's planning
turns back into pending (failed-key memory), and queues that run. The operation keeps
its key, so a destination that did apply it after all (an ``unknown`` outcome) sees
the same operation again, not a new one.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import select, update

from junction.core import audit
from junction.core.db import Database
from junction.core.db.tables import Sync, SyncDeadLetter, SyncOperation
from junction.core.db.types import utcnow
from junction.core.sync.errors import SyncBusy
from junction.core.sync.ledger import OpStatus
from junction.core.sync.runs import enqueue
from junction.core.sync.store import load_sync

__all__ = ["DeadLetterView", "ReplayResult", "list_dead_letters", "replay_dead_letters"]


class DeadLetterView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    sync: str
    run_id: int
    key: str
    profile_id: int
    action: str
    #: rejected, unprepared or unknown.
    kind: str
    reason: str
    code: str | None
    created_at: datetime
    replayed_at: datetime | None


class ReplayResult(msgspec.Struct, frozen=True, kw_only=True):
    replayed: int
    #: The run queued to send them, or None if one was already queued.
    run_id: int | None


async def list_dead_letters(
    db: Database, *, sync: str | None = None, include_replayed: bool = False, limit: int = 100
) -> list[DeadLetterView]:
    """The newest dead letters (not yet replayed, unless asked)."""
    async with db.sessions() as session:
        query = (
            select(SyncDeadLetter, Sync.name)
            .join(Sync, Sync.id == SyncDeadLetter.sync_id)
            .order_by(SyncDeadLetter.id.desc())
            .limit(limit)
        )
        if sync is not None:
            query = query.where(Sync.name == sync)
        if not include_replayed:
            query = query.where(SyncDeadLetter.replayed_at.is_(None))
        rows = (await session.execute(query)).all()
    return [
        DeadLetterView(
            id=letter.id,
            sync=name,
            run_id=letter.run_id,
            key=letter.key,
            profile_id=letter.profile_id,
            action=letter.action,
            kind=letter.kind,
            reason=letter.reason,
            code=letter.code,
            created_at=letter.created_at,
            replayed_at=letter.replayed_at,
        )
        for letter, name in rows
    ]


async def replay_dead_letters(
    db: Database, sync: str, *, actor: str, ids: list[int] | None = None, run: bool = True
) -> ReplayResult:
    """Send the dead letters of ``sync`` (all unreplayed, or ``ids``) again.

    Raises:
        NotFoundError: no such sync.
    """
    async with db.transaction() as session:
        await audit.append(
            session, actor=actor, action="sync.replay", target=f"sync:{sync}", details={"ids": ids}
        )
        row = await load_sync(session, sync)
        query = select(SyncDeadLetter.id, SyncDeadLetter.operation_id).where(
            SyncDeadLetter.sync_id == row.id, SyncDeadLetter.replayed_at.is_(None)
        )
        if ids is not None:
            query = query.where(SyncDeadLetter.id.in_(ids))
        letters = (await session.execute(query)).all()
        now = utcnow()
        for start in range(0, len(letters), 5000):
            chunk = letters[start : start + 5000]
            await session.execute(
                update(SyncDeadLetter)
                .where(SyncDeadLetter.id.in_([letter_id for letter_id, _ in chunk]))
                .values(replayed_at=now, replayed_by=actor)
            )
            # Only operations still in the state the letter recorded: a newer change of
            # the same profile has superseded the others.
            await session.execute(
                update(SyncOperation)
                .where(
                    SyncOperation.id.in_([op_id for _, op_id in chunk]),
                    SyncOperation.status.in_((OpStatus.REJECTED.value, OpStatus.UNKNOWN.value)),
                )
                .values(status=OpStatus.FAILED.value, reason="replayed by hand")
            )
    run_id = None
    if letters and run:
        try:
            run_id = await enqueue(db, sync, trigger="replay", actor=actor)
        except SyncBusy:
            run_id = None
    return ReplayResult(replayed=len(letters), run_id=run_id)
