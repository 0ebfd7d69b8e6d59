"""What a profile belongs to: its tags and its segment memberships (for profile pages)."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import select

from junction.core.db import Database
from junction.core.db.tables import ProfileTag, Segment, SegmentMembership

__all__ = ["MembershipView", "ProfileRelations", "TagView", "profile_relations"]


class TagView(msgspec.Struct, frozen=True, kw_only=True):
    tag: str
    #: ``manual`` (set by a person) or ``rule`` (a tag rule matched).
    origin: str
    created_at: datetime


class MembershipView(msgspec.Struct, frozen=True, kw_only=True):
    segment: str
    #: The split variant; ``holdout`` members are computed but never activated.
    variant: str


class ProfileRelations(msgspec.Struct, frozen=True, kw_only=True):
    tags: list[TagView]
    segments: list[MembershipView]


async def profile_relations(db: Database, profile_id: int) -> ProfileRelations:
    """Tags and newest-snapshot segment memberships of one (live) profile."""
    async with db.sessions() as session:
        tags = (
            await session.scalars(
                select(ProfileTag)
                .where(ProfileTag.profile_id == profile_id)
                .order_by(ProfileTag.tag, ProfileTag.origin)
            )
        ).all()
        memberships = (
            await session.execute(
                select(Segment.name, SegmentMembership.variant)
                .join(Segment, Segment.id == SegmentMembership.segment_id)
                .where(SegmentMembership.profile_id == profile_id)
                .order_by(Segment.name)
            )
        ).all()
    return ProfileRelations(
        tags=[TagView(tag=t.tag, origin=t.origin, created_at=t.created_at) for t in tags],
        segments=[MembershipView(segment=name, variant=variant) for name, variant in memberships],
    )
