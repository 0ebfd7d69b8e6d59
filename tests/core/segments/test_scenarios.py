"""The seeds' scenarios and DESIGN's examples select exactly the right people, on both DBs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from junction.core.db import Database
from junction.core.db.tables import Profile
from junction.core.segments import (
    decode_condition,
    evaluate,
    live_profiles,
    load_catalog,
    load_profile_data,
    query_members,
    validate,
)
from junction.core.traits import TraitType, declare_event_property, recompute_traits

from .world import NOW, Person, insert_people

DAY = 1440

HIGH_SPENDERS_WHO_STOPPED = {
    "type": "all",
    "conditions": [
        {
            "type": "order",
            "metric": "total",
            "compare": {"op": "gte", "value": 1000},
            "statuses": ["paid", "shipped", "completed"],
            "within_days": 90,
        },
        {"type": "event", "name": "mini_program_open", "within_days": 14},
        {
            "type": "order",
            "compare": {"op": "eq", "value": 0},
            "statuses": ["paid", "shipped", "completed"],
            "within_days": 14,
        },
    ],
}

REGISTERED_A_WEEK_AGO_NO_ORDER = {
    "type": "all",
    "conditions": [
        {"type": "trait", "name": "registered_at", "op": "more_than_days_ago", "value": 7},
        {"type": "trait", "name": "registered_at", "op": "within_days", "value": 14},
        {"type": "order", "compare": {"op": "eq", "value": 0}},
    ],
}

RFM_CHAMPIONS_WITH_ADS_CONSENT = {
    "type": "all",
    "conditions": [
        {"type": "computed", "name": "rfm.group", "op": "eq", "value": "champions"},
        {"type": "consent", "purpose": "ads"},
    ],
}

REPEAT_BIG_BUYERS_NOT_LOGGED_IN = {
    "type": "all",
    "conditions": [
        {
            "type": "event",
            "name": "purchase",
            "count": {"op": "gte", "value": 2},
            "within_days": 30,
            "where": [{"property": "amount", "op": "gte", "value": 100}],
        },
        {"type": "not", "condition": {"type": "event", "name": "login", "within_days": 14}},
    ],
}


async def _members(db: Database, definition: dict[str, Any], names: dict[int, str]) -> set[str]:
    """The names of the members, after checking the evaluator agrees on every profile."""
    condition = decode_condition(definition)
    async with db.sessions() as session:
        catalog = await load_catalog(session)
        validate(condition, catalog)
        sql = set(await query_members(session, condition, catalog, NOW))
        for pid in await session.scalars(select(Profile.id).where(live_profiles())):
            data = await load_profile_data(session, pid)
            assert evaluate(condition, data, catalog, NOW) == (pid in sql), names.get(pid)
    return {names[pid] for pid in sql}


async def _world(db: Database, people: dict[str, Person]) -> dict[int, str]:
    ids = await insert_people(db, list(people.values()))
    await recompute_traits(db, now=NOW, full=True)
    return dict(zip(ids, people, strict=True))


def paid(amount: int, days: float) -> tuple[str, Decimal, int]:
    return ("paid", Decimal(amount), int(days * DAY))


async def test_high_spenders_who_opened_the_mini_program_but_stopped_buying(
    db: Database,
) -> None:
    opened = ("mini_program_open", 2 * DAY, {})
    names = await _world(
        db,
        {
            "stopped": Person(orders=[paid(800, 30), paid(400, 60)], events=[opened]),
            "too_small": Person(orders=[paid(500, 30)], events=[opened]),
            "still_buying": Person(orders=[paid(1200, 30), paid(50, 3)], events=[opened]),
            "never_opened": Person(orders=[paid(1500, 30)]),
            "opened_long_ago": Person(
                orders=[paid(1500, 30)], events=[("mini_program_open", 20 * DAY, {})]
            ),
            "cancelled": Person(orders=[("cancelled", Decimal(5000), 30 * DAY)], events=[opened]),
            "spent_before_window": Person(orders=[paid(3000, 100)], events=[opened]),
            "cancelled_recently": Person(
                orders=[paid(1500, 30), ("cancelled", Decimal(10), 2 * DAY)], events=[opened]
            ),
        },
    )
    assert await _members(db, HIGH_SPENDERS_WHO_STOPPED, names) == {
        "stopped",
        "cancelled_recently",
    }


async def test_registered_a_week_ago_without_an_order(db: Database) -> None:
    def registered(days: float) -> dict[str, Any]:
        return {"registered_at": (NOW - timedelta(days=days)).isoformat()}

    names = await _world(
        db,
        {
            "nudge_me": Person(traits=registered(8)),
            "nudge_me_too": Person(traits=registered(13.5), events=[("login", DAY, {})]),
            "ordered": Person(traits=registered(8), orders=[paid(10, 1)]),
            "cancelled_order": Person(
                traits=registered(9), orders=[("cancelled", Decimal(10), DAY)]
            ),
            "too_fresh": Person(traits=registered(3)),
            "too_old": Person(traits=registered(20)),
            "no_date": Person(traits={"registered_at": "soon"}),
            "unknown": Person(),
        },
    )
    assert await _members(db, REGISTERED_A_WEEK_AGO_NO_ORDER, names) == {
        "nudge_me",
        "nudge_me_too",
    }


async def test_rfm_champions_with_ads_consent(db: Database) -> None:
    # Ten buyers: buyer i ordered i+1 times, last (10 - i) days ago, 100 each time. The
    # top two quintiles of both recency and frequency are buyers 8 and 9.
    people = {}
    for i in range(10):
        orders = [paid(100, 10 - i + k) for k in range(i + 1)]
        people[f"buyer{i}"] = Person(orders=orders, consents=[("ads", "granted", 600)])
    people["buyer8"].consents.append(("ads", "withdrawn", 60))
    people["buyer7"].consents = [("ads", "granted", 600)]
    people["no_orders"] = Person(consents=[("ads", "granted", 60)])
    names = await _world(db, people)
    assert await _members(db, RFM_CHAMPIONS_WITH_ADS_CONSENT, names) == {"buyer9"}
    without_consent = {"type": "computed", "name": "rfm.group", "op": "eq", "value": "champions"}
    assert await _members(db, without_consent, names) == {"buyer8", "buyer9"}


async def test_did_purchase_twice_in_30_days_over_100_and_no_login_in_14(db: Database) -> None:
    def buy(amount: Any, days: float) -> tuple[str, int, dict[str, Any]]:
        return ("purchase", int(days * DAY), {"amount": amount})

    login = ("login", 3 * DAY, {})
    names = await _world(
        db,
        {
            "yes": Person(events=[buy(120, 2), buy("150", 20)]),
            "small": Person(events=[buy(120, 2), buy(99, 20)]),
            "old": Person(events=[buy(120, 2), buy(150, 40)]),
            "logged_in": Person(events=[buy(120, 2), buy(150, 20), login]),
            "logged_in_long_ago": Person(
                events=[buy(300, 1), buy(300, 1), ("login", 15 * DAY, {})]
            ),
            "no_amount": Person(events=[buy(None, 2), buy(200, 3)]),
        },
    )
    await declare_event_property(db, "purchase", "amount", TraitType.NUMBER, actor="test")
    assert await _members(db, REPEAT_BIG_BUYERS_NOT_LOGGED_IN, names) == {
        "yes",
        "logged_in_long_ago",
    }
