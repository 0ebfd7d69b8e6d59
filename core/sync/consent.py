"""Consent for activation: who may be sent to a destination for a purpose.

Only the newest decision per profile and purpose counts (rows are only appended, a
withdrawal is a newer row); a profile with no decision has not granted anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import Consent
from junction.core.model import ConsentStatus

__all__ = ["granted", "withdrawn_since"]

_CHUNK = 5000


async def granted(session: AsyncSession, purpose: str, profile_ids: Sequence[int]) -> set[int]:
    """The profiles among ``profile_ids`` whose newest ``purpose`` decision is "granted"."""
    result: set[int] = set()
    for start in range(0, len(profile_ids), _CHUNK):
        chunk = profile_ids[start : start + _CHUNK]
        latest = await _latest(session, purpose, chunk)
        result.update(pid for pid, status in latest.items() if status == ConsentStatus.GRANTED)
    return result


async def withdrawn_since(
    session: AsyncSession, purpose: str, after_id: int
) -> tuple[set[int], int]:
    """Profiles with a ``purpose`` decision newer than row ``after_id`` that now forbids it.

    Returns the profiles and the newest decision id seen (the next watermark).
    """
    rows = (
        await session.execute(
            select(Consent.profile_id, Consent.id)
            .where(Consent.purpose == purpose, Consent.id > after_id)
            .order_by(Consent.id)
        )
    ).all()
    if not rows:
        return set(), after_id
    touched = sorted({pid for pid, _ in rows})
    allowed = await granted(session, purpose, touched)
    return set(touched) - allowed, max(cid for _, cid in rows)


async def _latest(
    session: AsyncSession, purpose: str, profile_ids: Iterable[int]
) -> dict[int, str]:
    ids = list(profile_ids)
    newest = (
        select(Consent.profile_id, func.max(Consent.recorded_at).label("at"))
        .where(Consent.purpose == purpose, Consent.profile_id.in_(ids))
        .group_by(Consent.profile_id)
        .subquery()
    )
    rows = await session.execute(
        select(Consent.profile_id, Consent.status, Consent.id)
        .join(
            newest,
            (newest.c.profile_id == Consent.profile_id) & (newest.c.at == Consent.recorded_at),
        )
        .where(Consent.purpose == purpose)
        .order_by(Consent.profile_id, Consent.id)
    )
    # Two decisions at the same instant: the one stored last wins.
    return {pid: status for pid, status, _ in rows}
