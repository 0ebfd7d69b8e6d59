"""End to end: a pull sync of a ``ga4`` connection stores people and events in the hub.

The engine runs with real time, so the fake's data sits on days around today — today
as of the test's start (not the module's import: a suite that runs past midnight UTC
would otherwise disagree with the engine about which day is today).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Event
from junction.core.ingest import HubIngest
from junction.core.sync import SyncCreate, create_sync, get_sync
from junction.plugins.manager import load_plugins

from ...core.sync.world import box, fast_policy, make_engine, run_sync
from ...fakes.ga4 import FakeGA4
from .conftest import EMAIL, KEY_ID, export_row, key_json, person, private_key


def _days() -> tuple[date, date]:
    """(today, the first day of the fake's data), in UTC as the engine sees them."""
    today = datetime.now(UTC).date()
    return today, today - timedelta(days=6)


async def _pull(db: Database, fake: FakeGA4, config: dict[str, Any]) -> tuple[Any, Any]:
    registry = load_plugins(builtins=("junction.sources.ga4",), entry_points=False)
    secrets = box()
    await Connections(db, registry, secrets).create(
        name="analytics", plugin="ga4", config=config, actor="t"
    )
    await create_sync(
        db,
        registry,
        msgspec.convert({"name": "ga4", "kind": "pull", "connection": "analytics"}, SyncCreate),
        actor="t",
    )
    intake = HubIngest(db)
    await intake.start()
    engine = make_engine(
        db, registry, secrets, {"analytics": fake.transport()}, intake=intake, policy=fast_policy()
    )
    return engine, intake


def _fake() -> FakeGA4:
    return FakeGA4(client_email=EMAIL, key_id=KEY_ID, public_key=private_key().public_key())


async def test_a_data_api_pull_brings_each_persons_daily_traits(db: Database) -> None:
    today, start = _days()
    fake = _fake()
    for n in range(7):
        fake.report_rows[start + timedelta(days=n)] = [person("u1", sessions=n), person("u2")]
    config = {
        "property_id": "123456789",
        "service_account_key": key_json(),
        "start_date": start.isoformat(),
        "dimensions": ["customUser:tier"],
        "metrics": ["sessions"],
    }
    engine, intake = await _pull(db, fake, config)
    try:
        run = await run_sync(engine, "ga4")
        assert run.status == "succeeded", run.error
        # Profile records reach the hub as identify events, which ID-mapping resolves.
        async with db.sessions() as session:
            rows = (await session.scalars(select(Event).order_by(Event.timestamp))).all()
        assert [r.type for r in rows] == ["identify"] * 14
        last_of_u1 = [r.traits for r in rows if r.user_id == "u1"][-1]
        assert last_of_u1 == {
            "ga4_tier": "gold",
            "ga4_sessions": 6,
            "ga4_last_active_date": today.isoformat(),
        }
        state = (await get_sync(db, "ga4")).state
        assert state["complete_through"] == (today - timedelta(days=4)).isoformat()
        # A second run finds nothing new: no profile update is applied again.
        again = await run_sync(engine, "ga4")
        assert (again.status, again.planned) == ("succeeded", 0)
    finally:
        await intake.stop()


async def test_a_bigquery_pull_stores_each_event_once(db: Database) -> None:
    _, start = _days()
    fake = _fake()
    for n in range(6):
        day = start + timedelta(days=n)
        fake.export_tables[day] = [export_row(day, second=s) for s in range(3)]
    config = {
        "property_id": "123456789",
        "service_account_key": key_json(),
        "mode": "bigquery",
        "bigquery_project": "acme-analytics",
        "start_date": start.isoformat(),
        "page_size": 2,
    }
    engine, intake = await _pull(db, fake, config)
    try:
        run = await run_sync(engine, "ga4")
        assert run.status == "succeeded", run.error
        async with db.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Event)) == 18
        # The refresh window is read again: only duplicates, which the hub drops.
        again = await run_sync(engine, "ga4")
        assert again.status == "succeeded", again.error
        assert again.accepted == 0
        async with db.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Event)) == 18
    finally:
        await intake.stop()
