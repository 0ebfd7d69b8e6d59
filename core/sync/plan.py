"""Planning a push run: turn the audience's changes into ledger operations, once.

Planning happens in one transaction, fenced on owning the run: the new operations,
the advanced segment cursor and the run's ``planned`` count commit together, so a
crash either plans everything or nothing, and a resumed run never plans twice.

What a run plans:

- the net adds (and, in mirror mode, removes) since the segment run last planned;
- in replace mode, every member of the newest snapshot instead;
- removals of delivered members whose consent was withdrawn since the last run;
- operations that failed last time (failed-key memory) and skipped ones whose
  consent has since been granted.

Adds of members without consent for the sync's purpose are stored as ``skipped`` and
counted, never sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db import Database
from junction.core.db.tables import Sync, SyncOperation, SyncRun
from junction.core.db.types import utcnow
from junction.core.sync import consent
from junction.core.sync.changes import AudienceChanges
from junction.core.sync.definitions import SyncMode
from junction.core.sync.ledger import (
    Action,
    OpStatus,
    insert_operations,
    live_profiles,
    requeue_failed,
    supersede,
)
from junction.core.sync.runs import fence

__all__ = ["Plan", "plan_push"]


@dataclass(frozen=True)
class Plan:
    """What planning decided (the counts are also on the run row)."""

    since: int | None
    until: int | None
    planned: int
    skipped_consent: int
    withdrawn: int


async def plan_push(
    db: Database, sync: Sync, run: SyncRun, audience: AudienceChanges, worker: str
) -> Plan:
    """Plan run ``run`` of push sync ``sync`` into the ledger and the run row.

    Raises:
        LeaseLost: the run was taken over meanwhile; nothing is written.
    """
    mode = SyncMode(sync.mode or SyncMode.MIRROR)
    origin_run = sync.segment_run_id
    adds: list[int] = []
    removes: list[int] = []
    if mode is SyncMode.REPLACE:
        until = await audience.latest()
        async for batch in audience.members():
            adds.extend(batch)
        origin = f"replace:{run.id}"
    else:
        diff = await audience.diff(origin_run)
        until = diff.until if diff.until is not None else origin_run
        adds = diff.added
        removes = diff.removed if mode is SyncMode.MIRROR else []
        origin = f"seg:{until}"
    action = Action.REPLACE if mode is SyncMode.REPLACE else Action.ADD
    async with db.transaction() as session:
        await fence(session, run.id, worker)
        purpose = sync.consent_purpose
        withdrawn: set[int] = set()
        watermark = sync.consent_watermark
        if purpose:
            withdrawn, watermark = await consent.withdrawn_since(session, purpose, watermark)
        allowed = set(await consent.granted(session, purpose, adds)) if purpose else set(adds)
        skipped = [pid for pid in adds if pid not in allowed]
        adds = [pid for pid in adds if pid in allowed]
        consent_removes = []
        if withdrawn and mode is not SyncMode.REPLACE:
            delivered = await _delivered(session, sync.id, sorted(withdrawn))
            consent_removes = sorted(delivered - set(removes))
        changed = set(adds) | set(skipped) | set(removes) | set(consent_removes)
        live = await live_profiles(session, sync.id)
        if mode is SyncMode.REPLACE:
            await supersede(session, sorted(live.values()))
        else:
            await supersede(session, sorted(op for pid, op in live.items() if pid in changed))
            await _revive(session, sync, purpose, live, changed)
        common = {"sync_id": sync.id, "run_id": run.id, "segment_run_id": until}
        await insert_operations(
            session, origin=origin, action=Action.REMOVE, profile_ids=removes, **common
        )
        await insert_operations(
            session,
            origin=f"consent:{watermark}",
            action=Action.REMOVE,
            profile_ids=consent_removes,
            **common,
        )
        await insert_operations(session, origin=origin, action=action, profile_ids=adds, **common)
        await insert_operations(
            session,
            origin=origin,
            action=action,
            profile_ids=skipped,
            status=OpStatus.SKIPPED,
            reason=f"no {purpose!r} consent",
            **common,
        )
        # Failed-key memory: what ran out of retries last time goes again now.
        planned = await requeue_failed(session, sync.id)
        await session.execute(
            update(Sync)
            .where(Sync.id == sync.id)
            .values(segment_run_id=until, consent_watermark=watermark)
        )
        await fence(
            session,
            run.id,
            worker,
            planned=planned + len(skipped),
            skipped_consent=len(skipped),
            from_segment_run=origin_run,
            to_segment_run=until,
            planned_at=utcnow(),
        )
    return Plan(
        since=origin_run,
        until=until,
        planned=planned + len(skipped),
        skipped_consent=len(skipped),
        withdrawn=len(consent_removes),
    )


async def _delivered(session: AsyncSession, sync_id: int, profile_ids: list[int]) -> set[int]:
    """Which of ``profile_ids`` the destination holds: their last applied op added them."""
    rows = await session.execute(
        select(SyncOperation.profile_id, SyncOperation.action)
        .where(
            SyncOperation.sync_id == sync_id,
            SyncOperation.profile_id.in_(profile_ids),
            SyncOperation.status == OpStatus.ACCEPTED.value,
        )
        .order_by(SyncOperation.profile_id, SyncOperation.id)
    )
    last: dict[int, str] = {}
    for pid, action in rows:
        last[pid] = action
    return {pid for pid, action in last.items() if action != Action.REMOVE}


async def _revive(
    session: AsyncSession, sync: Sync, purpose: str | None, live: dict[int, int], changed: set[int]
) -> None:
    """Skipped adds of members who have granted consent since: send them now."""
    if not purpose:
        return
    rows = await session.execute(
        select(SyncOperation.id, SyncOperation.profile_id).where(
            SyncOperation.sync_id == sync.id, SyncOperation.status == OpStatus.SKIPPED.value
        )
    )
    skipped = {pid: op_id for op_id, pid in rows if pid not in changed}
    now_granted = await consent.granted(session, purpose, sorted(skipped))
    revived = [skipped[pid] for pid in sorted(now_granted)]
    for start in range(0, len(revived), 5000):
        await session.execute(
            update(SyncOperation)
            .where(SyncOperation.id.in_(revived[start : start + 5000]))
            .values(status=OpStatus.PENDING.value, reason=None)
        )
