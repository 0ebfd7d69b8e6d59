"""Lifecycle stage (new, active, dormant, churned) from the last activity, set-based."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import ComputedTraitValue, Event, Order, Profile
from junction.core.traits.aggregates import replace_values
from junction.core.traits.definitions import Lifecycle
from junction.core.traits.values import TraitType

__all__ = ["STAGES", "compute_lifecycle", "lifecycle_stage"]

STAGES: Final = ("new", "active", "dormant", "churned")


def lifecycle_stage(
    definition: Lifecycle, created_at: datetime, last_active: datetime | None, now: datetime
) -> str:
    """The stage of one profile (Python twin of the SQL below)."""
    if created_at >= now - timedelta(days=definition.new_days):
        return "new"
    if last_active is not None and last_active >= now - timedelta(days=definition.active_days):
        return "active"
    if last_active is not None and last_active >= now - timedelta(days=definition.churn_days):
        return "dormant"
    return "churned"


async def compute_lifecycle(session: AsyncSession, definition: Lifecycle, now: datetime) -> None:
    """Compute ``<name>.last_active_at`` and ``<name>.stage`` for every live profile."""
    events, orders = Event.__table__, Order.__table__
    activity = union_all(
        select(events.c.profile_id, func.max(events.c.timestamp).label("at"))
        .where(events.c.profile_id.is_not(None))
        .group_by(events.c.profile_id),
        select(orders.c.profile_id, func.max(orders.c.created_at).label("at"))
        .where(orders.c.profile_id.is_not(None))
        .group_by(orders.c.profile_id),
    ).subquery("activity")
    last = (
        select(activity.c.profile_id, func.max(activity.c.at).label("at"))
        .group_by(activity.c.profile_id)
        .subquery("last_active")
    )
    await replace_values(
        session,
        f"{definition.name}.last_active_at",
        TraitType.TIME,
        select(last.c.profile_id, last.c.at.label("value")),
    )
    # The stage reads the times just stored rather than running the union again.
    values = ComputedTraitValue.__table__.alias("last_active_at")
    stored = (
        select(Profile.id.label("profile_id"), Profile.created_at, values.c.time_value.label("at"))
        .outerjoin(
            values,
            (values.c.profile_id == Profile.id)
            & (values.c.name == f"{definition.name}.last_active_at"),
        )
        .where(Profile.merged_into.is_(None), Profile.erased_at.is_(None))
        .subquery("profiles_activity")
    )
    active_since = now - timedelta(days=definition.active_days)
    churn_since = now - timedelta(days=definition.churn_days)
    stage = case(
        (stored.c.created_at >= now - timedelta(days=definition.new_days), literal("new")),
        (stored.c.at >= active_since, literal("active")),
        (stored.c.at >= churn_since, literal("dormant")),
        else_=literal("churned"),
    )
    await replace_values(
        session,
        f"{definition.name}.stage",
        TraitType.TEXT,
        select(stored.c.profile_id, stage.label("value")),
    )
