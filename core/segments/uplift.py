"""The uplift report: did treated members convert more than the holdout?

Conversion is "did ``event`` at least once in [since, until]". The difference of the
two rates gets a normal-approximation (Wald) interval,
``d ± z * sqrt(pt(1-pt)/nt + ph(1-ph)/nh)``, which is sound once each arm has a few
dozen conversions and non-conversions; the report says so rather than hiding small
arms.
"""

from __future__ import annotations

import math
from datetime import datetime
from statistics import NormalDist

from sqlalchemy import case, func, select

from junction.core.db import Database
from junction.core.db.tables import Event, SegmentMembership
from junction.core.model import ModelError
from junction.core.segments.splits import HOLDOUT
from junction.core.segments.store import load_segment
from junction.core.segments.views import ArmResult, UpliftReport

__all__ = ["uplift_report"]


async def uplift_report(
    db: Database,
    segment: str,
    event: str,
    *,
    since: datetime,
    until: datetime,
    confidence: float = 0.95,
) -> UpliftReport:
    """Compare the conversion rate of treated and holdout members of the newest snapshot.

    Raises:
        NotFoundError: no such segment.
        ModelError: the window is empty, the confidence is not in (0, 1), or the
            segment has no holdout or no treated members.
    """
    if not since < until:
        raise ModelError("`since` must be before `until`", "$.since")
    if not 0 < confidence < 1:
        raise ModelError("`confidence` is between 0 and 1", "$.confidence")
    async with db.sessions() as session:
        segment_id = (await load_segment(session, segment)).id
        converted = (
            select(Event.profile_id)
            .where(Event.name == event, Event.timestamp >= since, Event.timestamp <= until)
            .distinct()
            .subquery("converted")
        )
        arm = case((SegmentMembership.variant == HOLDOUT, "holdout"), else_="treated")
        rows = await session.execute(
            select(arm.label("arm"), func.count(), func.count(converted.c.profile_id))
            .select_from(SegmentMembership)
            .outerjoin(converted, converted.c.profile_id == SegmentMembership.profile_id)
            .where(SegmentMembership.segment_id == segment_id)
            .group_by(arm)
        )
        counts = {name: (int(members), int(hits)) for name, members, hits in rows}
    if "holdout" not in counts or "treated" not in counts:
        raise ModelError(f"segment `{segment}` needs treated and holdout members", "$.segment")
    treated, holdout = _arm(*counts["treated"]), _arm(*counts["holdout"])
    difference = treated.rate - holdout.rate
    error = math.sqrt(
        treated.rate * (1 - treated.rate) / treated.members
        + holdout.rate * (1 - holdout.rate) / holdout.members
    )
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    low, high = difference - z * error, difference + z * error
    return UpliftReport(
        segment=segment,
        event=event,
        since=since,
        until=until,
        treated=treated,
        holdout=holdout,
        difference=difference,
        interval=(low, high),
        confidence=confidence,
        relative=difference / holdout.rate if holdout.rate else None,
        significant=low > 0 or high < 0,
    )


def _arm(members: int, converted: int) -> ArmResult:
    return ArmResult(members=members, converted=converted, rate=converted / members)
