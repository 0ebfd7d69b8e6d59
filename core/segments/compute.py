"""Preview and computation: members now, and a stored snapshot with its diff.

:func:`compute_segment` runs the compiled query in a read transaction, then, in one
short write transaction, locks the segment, diffs the result against the stored
snapshot and writes the run, the changes and the new snapshot together. A crash
leaves the previous snapshot and its changes intact; two computations of the same
segment serialize on the lock, so each diff is against the snapshot it replaces.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

import msgspec
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core import audit
from junction.core.db import Database
from junction.core.db.tables import Identity, Segment, SegmentChange, SegmentMembership, SegmentRun
from junction.core.db.types import utcnow
from junction.core.identity.store import open_identity_value
from junction.core.model import ModelError
from junction.core.pii import mask
from junction.core.secrets import SecretBox
from junction.core.segments.catalog import Catalog, load_catalog
from junction.core.segments.compile import member_query
from junction.core.segments.dsl import Condition, decode_condition
from junction.core.segments.errors import DefinitionError
from junction.core.segments.splits import Split, assign_variant
from junction.core.segments.store import load_segment, run_view
from junction.core.segments.validate import validate
from junction.core.segments.views import MemberSample, Preview, SegmentRunView

__all__ = ["compute_segment", "preview", "query_members"]

MAX_SAMPLE: Final = 100
_CHUNK: Final = 5000


async def tune_for_segments(session: AsyncSession) -> None:
    """Give PostgreSQL room to hash ``NOT IN`` subqueries of many profiles.

    Without it the planner falls back to re-scanning the subquery per profile once
    the hash would exceed ``work_mem`` (4 MB by default: ~100k profile ids).
    """
    if session.bind.dialect.name == "postgresql":
        await session.execute(func.set_config("work_mem", "256MB", True).select())


async def query_members(
    session: AsyncSession, condition: Condition, catalog: Catalog, now: datetime
) -> list[int]:
    """Run the compiled query: the member ids, unordered."""
    await tune_for_segments(session)
    return list(await session.scalars(member_query(condition, catalog, now)))


async def preview(
    db: Database,
    condition: Condition,
    *,
    now: datetime | None = None,
    sample_size: int = 10,
    box: SecretBox | None = None,
) -> Preview:
    """Count the members ``condition`` selects now and show a few, masked; save nothing.

    Args:
        db: The database.
        condition: The definition (validated here).
        now: The time windows end at (default: now).
        sample_size: How many members to show (0 to 100), lowest ids first.
        box: Decrypts PII identifiers so they can be shown masked ("138****5678");
            without it they show as ``***``.

    Raises:
        DefinitionError: the condition is invalid.
    """
    if not 0 <= sample_size <= MAX_SAMPLE:
        raise ModelError(f"a sample holds 0 to {MAX_SAMPLE} members", "$.sample_size")
    started, now = time.perf_counter(), now or utcnow()
    async with db.sessions() as session:
        catalog = await load_catalog(session)
        validate(condition, catalog)
        await tune_for_segments(session)
        members = member_query(condition, catalog, now).subquery()
        count = int(await session.scalar(select(func.count()).select_from(members)) or 0)
        ids = list(
            await session.scalars(select(members.c.id).order_by(members.c.id).limit(sample_size))
        )
        shown = await masked_identifiers(session, ids, box)
    return Preview(
        as_of=now,
        count=count,
        sample=[MemberSample(profile_id=pid, identifiers=shown.get(pid, [])) for pid in ids],
        seconds=round(time.perf_counter() - started, 3),
    )


async def masked_identifiers(
    session: AsyncSession, profile_ids: Sequence[int], box: SecretBox | None
) -> dict[int, list[str]]:
    """Each profile's identifiers as ``type: masked value``."""
    shown: dict[int, list[str]] = {}
    if not profile_ids:
        return shown
    rows = await session.execute(
        select(
            Identity.profile_id,
            Identity.type,
            Identity.value,
            Identity.hashed,
            Identity.value_encrypted,
        )
        .where(Identity.profile_id.in_(profile_ids))
        .order_by(Identity.profile_id, Identity.type, Identity.id)
    )
    for pid, kind, value, hashed, sealed in rows:
        if hashed:
            raw = open_identity_value(box, kind, value, sealed) if box and sealed else None
            text = mask(kind, raw) if raw is not None else "***"
        else:
            text = mask(kind, value)
        shown.setdefault(pid, []).append(f"{kind}: {text}")
    return shown


async def compute_segment(
    db: Database, name: str, *, actor: str, now: datetime | None = None
) -> SegmentRunView:
    """Compute segment ``name``: store its snapshot, the run and the changes.

    Raises:
        NotFoundError: no such segment.
        DefinitionError: the stored definition no longer validates (a trait it uses
            was undeclared since); nothing is written.
    """
    now = now or utcnow()
    started = utcnow()
    async with db.sessions() as session:
        row = await load_segment(session, name)
        segment_id, salt = row.id, row.salt
        condition = decode_condition(row.condition)
        splits = msgspec.convert(row.splits, list[Split])
        catalog = await load_catalog(session)
        try:
            validate(condition, catalog, name=name)
        except ModelError as exc:
            raise DefinitionError(exc.message, "$.condition" + exc.path.removeprefix("$")) from None
        members = await query_members(session, condition, catalog, now)
    variants = {pid: assign_variant(pid, salt, splits) for pid in members}
    async with db.transaction() as session:
        # Writing first takes the lock (row lock on PostgreSQL, the write lock on SQLite)
        # before the old snapshot is read.
        await session.execute(
            update(Segment).where(Segment.id == segment_id).values(updated_at=Segment.updated_at)
        )
        run = SegmentRun(segment_id=segment_id, as_of=now, started_at=started, actor=actor)
        session.add(run)
        await session.flush()
        rows = await session.execute(
            select(SegmentMembership.profile_id, SegmentMembership.variant).where(
                SegmentMembership.segment_id == segment_id
            )
        )
        old = {pid: variant for pid, variant in rows}
        changes = _diff(old, variants)
        await _apply(session, segment_id, run.id, changes)
        run.members = len(variants)
        run.added = sum(1 for _, before, _ in changes if before is None)
        run.removed = sum(1 for _, _, after in changes if after is None)
        run.moved = len(changes) - run.added - run.removed
        run.finished_at = utcnow()
        await audit.append(
            session,
            actor=actor,
            action="segment.compute",
            target=name,
            details={
                "run": run.id,
                "members": run.members,
                "added": run.added,
                "removed": run.removed,
            },
        )
        await session.flush()
        return run_view(run, name)


def _diff(old: dict[int, str], new: dict[int, str]) -> list[tuple[int, str | None, str | None]]:
    changes: list[tuple[int, str | None, str | None]] = []
    for pid, variant in new.items():
        if old.get(pid) != variant:
            changes.append((pid, old.get(pid), variant))
    changes.extend((pid, variant, None) for pid, variant in old.items() if pid not in new)
    changes.sort()
    return changes


async def _apply(
    session: AsyncSession,
    segment_id: int,
    run_id: int,
    changes: list[tuple[int, str | None, str | None]],
) -> None:
    memberships = SegmentMembership.__table__
    gone = [pid for pid, before, _ in changes if before is not None]
    for chunk in _chunks(gone):
        await session.execute(
            delete(memberships).where(
                memberships.c.segment_id == segment_id, memberships.c.profile_id.in_(chunk)
            )
        )
    rows = [
        {"segment_id": segment_id, "profile_id": pid, "variant": after}
        for pid, _, after in changes
        if after is not None
    ]
    for chunk in _chunks(rows):
        await session.execute(insert(memberships), chunk)
    change_rows = [
        {"run_id": run_id, "profile_id": pid, "before": before, "after": after}
        for pid, before, after in changes
    ]
    for chunk in _chunks(change_rows):
        await session.execute(insert(SegmentChange.__table__), chunk)


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
