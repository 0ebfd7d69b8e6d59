"""The audit log: append-only, each entry hash-chained to the one before.

Every entry's hash covers its own content and the previous entry's hash, and the
``audit_head`` row holds the newest entry's id and hash. So editing a row breaks its
hash, deleting a row breaks the chain (or, for the newest rows, disagrees with the
head), and :meth:`AuditLog.verify` (``junction audit verify``) reports where.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db import Database
from junction.core.db.tables import AuditEntry, AuditHead
from junction.core.db.types import utcnow
from junction.core.redaction import redact

GENESIS = "0" * 64
_HEAD_ID = 1
_VERIFY_PAGE = 5000


def entry_hash(
    *,
    id: int,
    at: datetime,
    actor: str,
    action: str,
    target: str | None,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the entry's content."""
    content = msgspec.json.encode(
        {
            "id": id,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "target": target,
            "details": details,
        },
        order="sorted",
    )
    return hashlib.sha256(prev_hash.encode() + b"\n" + content).hexdigest()


class VerifyReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    checked: int
    problems: tuple[str, ...]


async def append(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    secret_fields: Iterable[str] = (),
) -> AuditEntry:
    """Append an entry inside the caller's transaction, so it commits with the change.

    ``details`` is redacted (declared ``secret_fields`` and conventional secret keys)
    before it is stored or hashed.
    """
    # Lock the head row first: on PostgreSQL the row lock serializes appenders; on
    # SQLite this write takes the database's write lock before anything is read.
    head = (
        await session.execute(
            update(AuditHead)
            .where(AuditHead.id == _HEAD_ID)
            .values(last_id=AuditHead.last_id)
            .returning(AuditHead.last_id, AuditHead.hash)
        )
    ).one()
    clean = redact(details or {}, secret_fields)
    # Round-trip through JSON so the hash covers exactly what the database returns.
    clean = msgspec.json.decode(msgspec.json.encode(clean))
    entry = AuditEntry(
        id=head.last_id + 1,
        at=utcnow(),
        actor=actor,
        action=action,
        target=target,
        details=clean,
        prev_hash=head.hash,
    )
    entry.hash = entry_hash(
        id=entry.id,
        at=entry.at,
        actor=actor,
        action=action,
        target=target,
        details=clean,
        prev_hash=head.hash,
    )
    session.add(entry)
    await session.flush()
    await session.execute(
        update(AuditHead).where(AuditHead.id == _HEAD_ID).values(last_id=entry.id, hash=entry.hash)
    )
    return entry


async def verify(db: Database) -> VerifyReport:
    """Walk the whole chain and report every edited, deleted or reordered entry."""
    problems: list[str] = []
    checked, expected_id, prev_hash = 0, 1, GENESIS
    async with db.sessions() as session:
        head = (await session.execute(select(AuditHead).where(AuditHead.id == _HEAD_ID))).scalar()
        last_seen = 0
        while True:
            rows = (
                await session.scalars(
                    select(AuditEntry)
                    .where(AuditEntry.id > last_seen)
                    .order_by(AuditEntry.id)
                    .limit(_VERIFY_PAGE)
                )
            ).all()
            if not rows:
                break
            for row in rows:
                checked += 1
                if row.id != expected_id:
                    problems.append(_missing(expected_id, row.id))
                elif row.prev_hash != prev_hash:
                    problems.append(f"entry {row.id} does not follow entry {row.id - 1}")
                recomputed = entry_hash(
                    id=row.id,
                    at=row.at,
                    actor=row.actor,
                    action=row.action,
                    target=row.target,
                    details=row.details,
                    prev_hash=row.prev_hash,
                )
                if recomputed != row.hash:
                    problems.append(f"entry {row.id} ({row.action}) was altered after writing")
                expected_id, prev_hash, last_seen = row.id + 1, row.hash, row.id
    if head is None:
        problems.append("the audit head row is missing")
    elif head.last_id != last_seen or head.hash != prev_hash:
        if head.last_id > last_seen:
            problems.append(_missing(last_seen + 1, head.last_id + 1))
        else:
            problems.append(f"the chain ends at entry {last_seen}, the head says {head.last_id}")
    return VerifyReport(ok=not problems, checked=checked, problems=tuple(problems))


def _missing(first: int, next_present: int) -> str:
    last = next_present - 1
    span = f"entry {first}" if first == last else f"entries {first}-{last}"
    return f"{span} deleted"


class AuditView(msgspec.Struct, frozen=True, kw_only=True):
    """An entry as the admin shows it (details are already redacted at write time)."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]


async def list_entries(
    db: Database,
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AuditView]:
    """The newest entries first, filtered.

    ``actor`` and ``target`` match a substring; ``action`` matches exactly or, ending in
    ``.``, as a prefix (``"connection."`` is every connection action). ``before_id``
    pages backwards.
    """
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEntry.actor.contains(actor, autoescape=True))
    if action:
        if action.endswith("."):
            query = query.where(AuditEntry.action.startswith(action, autoescape=True))
        else:
            query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target.contains(target, autoescape=True))
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    async with db.sessions() as session:
        rows = (await session.scalars(query)).all()
    return [
        AuditView(
            id=row.id,
            at=row.at,
            actor=row.actor,
            action=row.action,
            target=row.target,
            details=row.details,
        )
        for row in rows
    ]
