"""Forgetting profiles: what the trait engine holds about erased people.

Erasure (junction.core.profiles.erase_profile) should call :func:`forget_profiles` in
its transaction. Segment memberships are deliberately left alone: erased profiles drop
out at the next computation, which records them as removed, so destinations delete
them too.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import ComputedTraitValue, ProfileTag, ProfileTrait

__all__ = ["forget_profiles"]


async def forget_profiles(session: AsyncSession, profile_ids: Sequence[int]) -> None:
    """Delete the promoted traits, computed traits and tags of ``profile_ids``."""
    for table in (ProfileTrait, ComputedTraitValue, ProfileTag):
        await session.execute(delete(table).where(table.profile_id.in_(list(profile_ids))))
