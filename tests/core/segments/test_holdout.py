"""Deterministic splits: holdout members are stored but never activated; uplift report."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from junction.core.db import Database
from junction.core.db.tables import Event, SegmentMembership
from junction.core.model import ModelError
from junction.core.segments import (
    HOLDOUT,
    DefinitionError,
    Split,
    TagCondition,
    assign_variant,
    changes_since,
    compute_segment,
    create_segment,
    members_for_activation,
    update_segment,
    uplift_report,
)
from junction.core.segments.splits import check_splits

from .world import NOW, Person, insert_people

TEN_PERCENT_OUT = [Split(variant=HOLDOUT, weight=10), Split(variant="treated", weight=90)]


def test_variants_are_deterministic_weighted_and_salted() -> None:
    ids = range(1, 20_001)
    first = [assign_variant(pid, "salt-a", TEN_PERCENT_OUT) for pid in ids]
    assert first == [assign_variant(pid, "salt-a", TEN_PERCENT_OUT) for pid in ids]
    held = first.count(HOLDOUT)
    # 10% of 20,000 is 2,000 with a standard deviation of ~42: 5 sigma either side.
    assert 1_790 < held < 2_210
    other_salt = [assign_variant(pid, "salt-b", TEN_PERCENT_OUT) for pid in ids]
    both = sum(1 for x, y in zip(first, other_salt, strict=True) if x == y == HOLDOUT)
    assert 110 < both < 300  # independent: ~1% (200) are held out by both salts
    assert assign_variant(7, "salt-a", []) == ""


@pytest.mark.parametrize(
    ("splits", "message"),
    [
        ([Split(variant="a", weight=1)], "at least two variants"),
        ([Split(variant="a", weight=1), Split(variant="a", weight=2)], "appears twice"),
        ([Split(variant="A", weight=1), Split(variant="b", weight=2)], "lower-case"),
    ],
)
def test_bad_splits_are_refused(splits: list[Split], message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        check_splits(splits)


async def test_holdout_members_never_reach_activation(db: Database) -> None:
    ids = await insert_people(db, [Person(tags=["vip"]) for _ in range(60)], orphans=False)
    await create_segment(
        db, "vips", TagCondition(tag="vip"), actor="t", splits=TEN_PERCENT_OUT, salt="fixed"
    )
    run = await compute_segment(db, "vips", actor="t", now=NOW)
    assert run.members == 60
    activated = [pid async for batch in members_for_activation(db, "vips") for pid in batch]
    diff = await changes_since(db, "vips", None)
    assert diff.added == activated
    held = sorted(set(ids) - set(activated))
    assert held and len(held) < 20

    # A new split moves people between variants: leaving treatment is a removal for the
    # destination, entering it an addition; recomputing with the same split moves nobody.
    again = await compute_segment(db, "vips", actor="t", now=NOW)
    assert (again.added, again.removed, again.moved) == (0, 0, 0)
    half = [Split(variant=HOLDOUT, weight=50), Split(variant="treated", weight=50)]
    await update_segment(db, "vips", actor="t", splits=half)
    moved = await compute_segment(db, "vips", actor="t", now=NOW)
    assert moved.moved > 0 and (moved.added, moved.removed) == (0, 0)
    diff = await changes_since(db, "vips", run.id)
    now_active = [pid async for batch in members_for_activation(db, "vips") for pid in batch]
    assert set(diff.removed) == set(activated) - set(now_active)
    assert set(diff.added) == set(now_active) - set(activated)


async def test_uplift_compares_treated_and_holdout_conversion(db: Database) -> None:
    people = [Person(tags=["vip"]) for _ in range(400)]
    ids = await insert_people(db, people, orphans=False)
    await create_segment(
        db,
        "vips",
        TagCondition(tag="vip"),
        actor="t",
        splits=[Split(variant=HOLDOUT, weight=50), Split(variant="treated", weight=50)],
    )
    await compute_segment(db, "vips", actor="t", now=NOW)
    async with db.sessions() as session:
        rows = await session.execute(
            select(SegmentMembership.profile_id, SegmentMembership.variant)
        )
        variants = {pid: variant for pid, variant in rows}
    # Treated members convert when id % 2 == 0 (50%), holdout when id % 5 == 0 (20%);
    # one conversion outside the window must not count.
    events = []
    for pid in ids:
        rate = 2 if variants[pid] == "treated" else 5
        if pid % rate == 0:
            at = NOW - timedelta(days=1)
            events.append(
                {
                    "source_id": 1,
                    "message_id": f"c-{pid}",
                    "type": "track",
                    "name": "purchase",
                    "profile_id": pid,
                    "timestamp": at,
                    "received_at": at,
                    "properties": {},
                    "traits": {},
                    "context": {},
                }
            )
    at = NOW - timedelta(days=30)
    events.append(
        {
            "source_id": 1,
            "message_id": "late",
            "type": "track",
            "name": "purchase",
            "profile_id": ids[1],
            "timestamp": at,
            "received_at": at,
            "properties": {},
            "traits": {},
            "context": {},
        }
    )
    async with db.transaction() as session:
        await session.execute(insert(Event), events)

    report = await uplift_report(db, "vips", "purchase", since=NOW - timedelta(days=7), until=NOW)

    treated = [p for p in ids if variants[p] == "treated"]
    holdout = [p for p in ids if variants[p] == HOLDOUT]
    pt = sum(1 for p in treated if p % 2 == 0) / len(treated)
    ph = sum(1 for p in holdout if p % 5 == 0) / len(holdout)
    assert (report.treated.members, report.holdout.members) == (len(treated), len(holdout))
    assert report.treated.rate == pytest.approx(pt)
    assert report.holdout.rate == pytest.approx(ph)
    assert report.difference == pytest.approx(pt - ph)
    half_width = 1.959964 * math.sqrt(pt * (1 - pt) / len(treated) + ph * (1 - ph) / len(holdout))
    assert report.interval == pytest.approx((pt - ph - half_width, pt - ph + half_width), rel=1e-5)
    assert report.significant and report.relative == pytest.approx((pt - ph) / ph)


async def test_uplift_needs_a_holdout(db: Database) -> None:
    await insert_people(db, [Person(tags=["vip"])], orphans=False)
    await create_segment(db, "vips", TagCondition(tag="vip"), actor="t")
    await compute_segment(db, "vips", actor="t", now=NOW)
    with pytest.raises(ModelError, match="holdout"):
        await uplift_report(db, "vips", "purchase", since=NOW - timedelta(days=1), until=NOW)
