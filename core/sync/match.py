"""Match and reconciliation: what each push run sent, and what the platform made of it.

A run's counts say what the hub planned, sent and had accepted; the destination's own
counts (Meta's ``num_received``, a Tencent upload's matched users, the audience size)
land in the run's ``details`` (see :class:`~junction.core.sync.sender.Sender`). This
module lines them up per destination connection, run after run, so an admin sees
the match rate over time and a drop in it stands out.
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import select

from junction.core.db import Database
from junction.core.db.tables import Connection, Sync, SyncRun
from junction.core.errors import NotFoundError
from junction.core.sync.runs import RunStatus

__all__ = ["MatchPoint", "match_history"]

_FINISHED = (RunStatus.SUCCEEDED.value, RunStatus.PARTIAL.value)


class MatchPoint(msgspec.Struct, frozen=True, kw_only=True):
    """One finished push run to a destination: planned → sent → accepted → matched."""

    run: int
    sync: str
    finished_at: datetime | None
    planned: int
    sent: int
    accepted: int
    #: What the platform reported, where it reports it (None otherwise).
    received: int | None
    invalid: int | None
    matched: int | None
    audience_size: int | None
    #: matched / received (or / accepted when the platform reports no receipt count).
    match_rate: float | None


async def match_history(db: Database, connection: str, *, limit: int = 30) -> list[MatchPoint]:
    """The newest finished push runs to ``connection``, oldest first (a time series).

    Raises:
        NotFoundError: there is no connection named ``connection``.
    """
    async with db.sessions() as session:
        if await session.scalar(select(Connection.id).where(Connection.name == connection)) is None:
            raise NotFoundError(f"no connection named {connection!r}")
        rows = await session.execute(
            select(SyncRun, Sync.name)
            .join(Sync, Sync.id == SyncRun.sync_id)
            .join(Connection, Connection.id == Sync.connection_id)
            .where(
                Connection.name == connection,
                Sync.kind == "push",
                SyncRun.status.in_(_FINISHED),
            )
            .order_by(SyncRun.id.desc())
            .limit(limit)
        )
        points = [_point(run, name) for run, name in rows]
    return points[::-1]


def _point(run: SyncRun, sync: str) -> MatchPoint:
    details = run.details or {}
    platform = details.get("platform") or {}
    audience = details.get("audience") or {}
    received, matched = _count(platform.get("received")), _count(platform.get("matched"))
    base = received if received is not None else run.accepted
    return MatchPoint(
        run=run.id,
        sync=sync,
        finished_at=run.finished_at,
        planned=run.planned,
        sent=run.sent,
        accepted=run.accepted,
        received=received,
        invalid=_count(platform.get("invalid")),
        matched=matched,
        audience_size=_count(audience.get("size")),
        match_rate=round(matched / base, 4) if matched is not None and base else None,
    )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) else None
