"""RFM scores by quintile and the usual named groups, computed set-based.

Recency, frequency and monetary value are read from the buying orders of the window;
each becomes a score 1-5 from its cumulative distribution (``cume_dist``), so equal
values always get equal scores (``ntile`` would split ties at random). Recency is
ranked by the last order's time, newest best. Named groups follow the common R x F
grid (champions, loyal, potential loyalists, new customers, promising, need
attention, about to sleep, at risk, can't lose them, hibernating).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import Double, and_, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import ComputedTraitValue, Order
from junction.core.traits.aggregates import replace_values
from junction.core.traits.definitions import Rfm
from junction.core.traits.values import TraitType

__all__ = ["RFM_GROUPS", "compute_rfm", "rfm_group"]

#: (group, lowest R, highest R, lowest F, highest F): first match wins; the grid is
#: complete, every (r, f) in 1..5 x 1..5 has a group.
RFM_GROUPS: Final = (
    ("champions", 5, 5, 4, 5),
    ("loyal", 3, 4, 4, 5),
    ("potential_loyalists", 4, 5, 2, 3),
    ("new_customers", 5, 5, 1, 1),
    ("promising", 4, 4, 1, 1),
    ("need_attention", 3, 3, 3, 3),
    ("about_to_sleep", 3, 3, 1, 2),
    ("cant_lose_them", 1, 2, 5, 5),
    ("at_risk", 1, 2, 3, 4),
    ("hibernating", 1, 2, 1, 2),
)


def rfm_group(r: int, f: int) -> str:
    """The named group of scores ``r`` and ``f`` (Python twin of the SQL CASE)."""
    for name, r_low, r_high, f_low, f_high in RFM_GROUPS:
        if r_low <= r <= r_high and f_low <= f <= f_high:
            return name
    raise ValueError(f"scores out of range: r={r}, f={f}")


def _quintile(distribution: Any) -> Any:
    # cume_dist is k/n; compared with k/5 literals it lands on the same doubles on
    # both databases, so a value exactly on a boundary scores the same everywhere.
    return case(
        (distribution <= 0.2, 1),
        (distribution <= 0.4, 2),
        (distribution <= 0.6, 3),
        (distribution <= 0.8, 4),
        else_=5,
    )


async def compute_rfm(session: AsyncSession, definition: Rfm, now: datetime) -> None:
    """Compute ``<name>.r/.f/.m/.score/.group`` for everyone who bought in the window."""
    orders = Order.__table__
    cutoff = now - timedelta(days=definition.within_days)
    totals = (
        select(
            orders.c.profile_id,
            func.max(orders.c.created_at).label("last"),
            func.count().label("frequency"),
            cast(func.sum(orders.c.amount), Double).label("monetary"),
        )
        .where(
            orders.c.profile_id.is_not(None),
            orders.c.status.in_([str(s) for s in definition.statuses]),
            orders.c.created_at >= cutoff,
            orders.c.created_at <= now,
        )
        .group_by(orders.c.profile_id)
        .subquery("totals")
    )
    scores = select(
        totals.c.profile_id,
        _quintile(func.cume_dist().over(order_by=totals.c.last)).label("r"),
        _quintile(func.cume_dist().over(order_by=totals.c.frequency)).label("f"),
        _quintile(func.cume_dist().over(order_by=totals.c.monetary)).label("m"),
    ).subquery("scores")
    name = definition.name
    for part in ("r", "f", "m"):
        source = select(scores.c.profile_id, cast(scores.c[part], Double).label("value"))
        await replace_values(session, f"{name}.{part}", TraitType.NUMBER, source)
    parts = {part: ComputedTraitValue.__table__.alias(part) for part in ("r", "f", "m")}
    r, f, m = parts["r"], parts["f"], parts["m"]
    joined = (
        select(r.c.profile_id, r.c.number_value.label("r"), f.c.number_value.label("f"))
        .add_columns(m.c.number_value.label("m"))
        .join(f, and_(f.c.profile_id == r.c.profile_id, f.c.name == f"{name}.f"))
        .join(m, and_(m.c.profile_id == r.c.profile_id, m.c.name == f"{name}.m"))
        .where(r.c.name == f"{name}.r")
        .subquery("rfm")
    )
    score = joined.c.r * 100 + joined.c.f * 10 + joined.c.m
    await replace_values(
        session,
        f"{name}.score",
        TraitType.NUMBER,
        select(joined.c.profile_id, score.label("value")),
    )
    group = case(
        *(
            (
                and_(joined.c.r.between(r_low, r_high), joined.c.f.between(f_low, f_high)),
                literal(group_name),
            )
            for group_name, r_low, r_high, f_low, f_high in RFM_GROUPS
        )
    )
    await replace_values(
        session, f"{name}.group", TraitType.TEXT, select(joined.c.profile_id, group.label("value"))
    )
