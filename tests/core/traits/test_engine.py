"""RFM, lifecycle, promotion and tags, each checked against what it should mean."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from junction.core.db import Database
from junction.core.db.tables import ComputedTraitValue, Profile, ProfileTag, ProfileTrait
from junction.core.db.types import utcnow
from junction.core.segments import (
    DefinitionError,
    TagCondition,
    apply_tag_rules,
    decode_condition,
    set_tag_rule,
)
from junction.core.traits import (
    RFM_GROUPS,
    Lifecycle,
    TraitType,
    add_tag,
    declare_computed_trait,
    declare_trait,
    forget_profiles,
    promote_profile_traits,
    recompute_traits,
    remove_tag,
    rfm_group,
)
from junction.core.traits.lifecycle import lifecycle_stage

from ..segments.world import NOW, Person, insert_people

DAY = 1440


async def _values(db: Database, name: str) -> dict[int, object]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(
                ComputedTraitValue.profile_id,
                ComputedTraitValue.number_value,
                ComputedTraitValue.text_value,
                ComputedTraitValue.time_value,
            ).where(ComputedTraitValue.name == name)
        )
        return {pid: next(v for v in values if v is not None) for pid, *values in rows}


def test_the_rfm_grid_names_every_cell() -> None:
    cells = {(r, f): rfm_group(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert cells[(5, 5)] == "champions" and cells[(1, 1)] == "hibernating"
    assert cells[(1, 5)] == "cant_lose_them" and cells[(2, 3)] == "at_risk"
    assert {name for name, *_ in RFM_GROUPS} == set(cells.values())


def _quintiles(values: dict[int, object]) -> dict[int, float]:
    """Score 1-5 by cumulative distribution: the share of values <= this one."""
    n = len(values)
    shares = {pid: sum(1 for w in values.values() if w <= v) / n for pid, v in values.items()}
    return {
        pid: float(next(k for k in range(1, 6) if share <= k / 5 or k == 5))
        for pid, share in shares.items()
    }


async def test_rfm_scores_are_quintiles_with_ties_scored_alike(db: Database) -> None:
    # Buyer i: i+1 paid orders of 10 * (i+1) each, the last one i days ago; buyers 3 and
    # 4 tie on everything. A cancelled order and an order outside the year don't count.
    people = []
    for i in range(10):
        last = 4 if i == 3 else i
        orders = [("paid", Decimal(10 * (i + 1)), (last + k) * DAY) for k in range(i + 1)]
        if i == 3:
            orders = [("paid", Decimal(50), (4 + k) * DAY) for k in range(5)]
        people.append(Person(orders=orders))
    people[0].orders.append(("cancelled", Decimal(10_000), DAY))
    people[0].orders.append(("paid", Decimal(10_000), 400 * DAY))
    ids = await insert_people(db, [*people, Person()])
    await recompute_traits(db, now=NOW, full=True)
    r, f, m = [await _values(db, f"rfm.{part}") for part in "rfm"]
    groups = await _values(db, "rfm.group")
    assert ids[-1] not in r  # no orders, no score
    buyers = ids[:10]
    last = {
        pid: -min(minutes for _, _, minutes in p.orders[:10] if minutes < 365 * DAY)
        for pid, p in zip(buyers, people, strict=True)
    }
    count = {
        pid: len([o for o in p.orders if o[0] == "paid" and o[2] < 365 * DAY])
        for pid, p in zip(buyers, people, strict=True)
    }
    spent = {
        pid: sum(o[1] for o in p.orders if o[0] == "paid" and o[2] < 365 * DAY)
        for pid, p in zip(buyers, people, strict=True)
    }
    assert r == _quintiles(last) and f == _quintiles(count) and m == _quintiles(spent)
    # Recency: buyer 0 is the most recent (5), buyer 9 the oldest (1); the tie of 3 and 4
    # shares one score.
    assert r[ids[3]] == r[ids[4]] and f[ids[3]] == f[ids[4]] and m[ids[3]] == m[ids[4]]
    assert r[ids[0]] == 5 and r[ids[9]] == 1
    assert f[ids[0]] == 1 and f[ids[9]] == 5
    assert m[ids[0]] == 1 and m[ids[9]] == 5
    for pid in ids[:10]:
        assert groups[pid] == rfm_group(int(r[pid]), int(f[pid]))
    scores = await _values(db, "rfm.score")
    assert scores[ids[9]] == r[ids[9]] * 100 + f[ids[9]] * 10 + m[ids[9]]


async def test_lifecycle_stages_follow_the_thresholds(db: Database) -> None:
    people = {
        "new": Person(created_days_ago=3),
        "active": Person(events=[("login", 5 * DAY, {})]),
        "active_by_order": Person(orders=[("paid", Decimal(1), 10 * DAY)]),
        "dormant": Person(events=[("login", 60 * DAY, {})]),
        "churned": Person(events=[("login", 120 * DAY, {})]),
        "never_seen": Person(),
    }
    ids = dict(
        zip(people, await insert_people(db, list(people.values()), orphans=False), strict=True)
    )
    await recompute_traits(db, now=NOW, full=True)
    stages = await _values(db, "lifecycle.stage")
    assert {name: stages[pid] for name, pid in ids.items()} == {
        "new": "new",
        "active": "active",
        "active_by_order": "active",
        "dormant": "dormant",
        "churned": "churned",
        "never_seen": "churned",
    }
    # Thresholds are data: a wider active window makes the dormant one active.
    await declare_computed_trait(
        db, Lifecycle(name="lifecycle", active_days=90, churn_days=180), actor="t"
    )
    await recompute_traits(db, now=NOW)
    stages = await _values(db, "lifecycle.stage")
    assert stages[ids["dormant"]] == "active" and stages[ids["churned"]] == "dormant"
    definition = Lifecycle(name="x")
    assert lifecycle_stage(definition, NOW - timedelta(days=40), None, NOW) == "churned"


async def _traits(db: Database) -> dict[tuple[int, str], tuple[str, object]]:
    async with db.sessions() as session:
        rows = await session.execute(select(ProfileTrait.__table__))
        return {
            (r.profile_id, r.name): (r.kind, r.number_value if r.kind == "number" else r.text_value)
            for r in rows
        }


async def test_promotion_is_incremental_and_follows_declarations(db: Database) -> None:
    a, b, c = await insert_people(
        db,
        [
            Person(traits={"age": "41", "city": "Hangzhou"}),
            Person(traits={"age": 30}),
            Person(traits={"age": 50}),
        ],
        orphans=False,
    )
    assert await promote_profile_traits(db) == 3
    assert (await _traits(db))[(a, "age")] == ("text", "41")
    async with db.transaction() as session:
        fresh = {"updated_at": utcnow()}
        await session.execute(
            update(Profile).where(Profile.id == b).values(traits={"age": 31}, **fresh)
        )
        await session.execute(
            update(Profile).where(Profile.id == c).values(merged_into=a, traits={}, **fresh)
        )
        # Stamped long before the last promotion: an incremental run does not see it.
        await session.execute(
            update(Profile).where(Profile.id == a).values(traits={"age": "42"}, updated_at=NOW)
        )
    assert await promote_profile_traits(db) == 2
    promoted = await _traits(db)
    assert promoted[(b, "age")] == ("number", 31.0)
    assert (c, "age") not in promoted  # merged away
    assert promoted[(a, "age")] == ("text", "41")
    assert await promote_profile_traits(db, full=True) == 3
    assert (await _traits(db))[(a, "age")] == ("text", "42")
    await declare_trait(db, "age", TraitType.NUMBER, actor="t")
    assert (await _traits(db))[(a, "age")] == ("number", 42.0)


async def test_manual_and_rule_tags(db: Database) -> None:
    a, b = await insert_people(
        db, [Person(orders=[("paid", Decimal(900), DAY)]), Person()], orphans=False
    )
    await add_tag(db, "vip", [b], actor="t")
    await add_tag(db, "vip", [b], actor="t")  # again: no duplicate, no error
    big = decode_condition(
        {"type": "order", "metric": "total", "compare": {"op": "gte", "value": 500}}
    )
    await set_tag_rule(db, "vip", big, actor="t")
    assert await apply_tag_rules(db, now=NOW) == {"vip": 1}
    async with db.sessions() as session:
        tags = set((await session.execute(select(ProfileTag.profile_id, ProfileTag.origin))).all())
    assert tags == {(a, "rule"), (b, "manual")}
    assert await remove_tag(db, "vip", [a, b], actor="t") == 1  # the rule's copy stays
    with pytest.raises(DefinitionError, match="reads that tag itself"):
        await set_tag_rule(db, "vip", TagCondition(tag="vip"), actor="t")


async def test_forgetting_an_erased_profile_removes_what_traits_hold(db: Database) -> None:
    kept, erased = await insert_people(
        db,
        [Person(traits={"city": "Hangzhou"}, tags=["vip"], orders=[("paid", Decimal(5), DAY)])] * 2,
        orphans=False,
    )
    await recompute_traits(db, now=NOW, full=True)
    async with db.transaction() as session:
        await forget_profiles(session, [erased])
    async with db.sessions() as session:
        for table in (ProfileTrait, ComputedTraitValue, ProfileTag):
            owners = set(await session.scalars(select(table.profile_id)))
            assert owners == {kept}, table.__tablename__
