"""A pull sync of the ``sensors`` source end to end: the sync engine, the fake, the hub."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from sqlalchemy import select

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Event
from junction.core.ingest import HubIngest
from junction.core.sync import SyncCreate, create_sync, get_sync
from junction.plugins.manager import Plugins
from tests.core.sync.world import box, make_engine, run_sync
from tests.fakes.sensors import FakeSensors

SECRET = "sa-sync-secret-4471"


def exported(hours_ago: float, who: str, name: str = "BuyProduct") -> dict[str, Any]:
    return {
        "type": "track",
        "event": name,
        "distinct_id": who,
        "time": int((time.time() - hours_ago * 3600) * 1000),
        "properties": {"$is_login_id": True, "amount": 99},
    }


@pytest.fixture
async def world(db: Database, plugins: Plugins) -> AsyncIterator[tuple[Any, FakeSensors]]:
    secrets = box()
    config = {
        "project": "shop",
        "api_url": "https://sa.example.com:8107",
        "api_secret": SECRET,
        "history_start": (datetime.now(UTC) - timedelta(days=2)).date().isoformat(),
    }
    await Connections(db, plugins, secrets).create(
        name="sa", plugin="sensors", config=config, actor="t"
    )
    sync = msgspec.convert({"name": "history", "kind": "pull", "connection": "sa"}, SyncCreate)
    await create_sync(db, plugins, sync, actor="t")
    platform = FakeSensors(
        SECRET, projects=("shop",), events=[exported(30, "u-1"), exported(5, "u-2")]
    )
    intake = HubIngest(db)
    await intake.start()
    try:
        yield (
            make_engine(db, plugins, secrets, {"sa": platform.transport()}, intake=intake),
            platform,
        )
    finally:
        await intake.stop()


async def stored(db: Database) -> list[Event]:
    async with db.sessions() as session:
        return list((await session.scalars(select(Event).order_by(Event.id))).all())


async def test_history_lands_in_the_events_table_and_the_state_advances(
    db: Database, world: tuple[Any, FakeSensors]
) -> None:
    engine, platform = world
    run = await run_sync(engine, "history")
    assert run.status == "succeeded", run.error
    rows = await stored(db)
    assert sorted(row.user_id for row in rows) == ["u-1", "u-2"]
    assert {row.name for row in rows} == {"BuyProduct"}
    state = (await get_sync(db, "history")).state
    assert datetime.fromisoformat(state["until"]) > datetime.now(UTC) - timedelta(minutes=11)

    # The next run starts where this one's last checkpoint stopped: nothing is re-read.
    until = datetime.fromisoformat(state["until"])
    asked = len(platform.queries)
    again = await run_sync(engine, "history")
    assert again.status == "succeeded", again.error
    assert all(query.start >= until for query in platform.queries[asked:])
    assert len(await stored(db)) == 2


async def test_a_rate_limited_query_is_retried_by_the_engine(
    db: Database, world: tuple[Any, FakeSensors]
) -> None:
    engine, platform = world
    platform.fail_next("429", retry_after=0)
    run = await run_sync(engine, "history")
    assert run.status == "succeeded", run.error
    assert len(await stored(db)) == 2


async def test_a_changed_secret_fails_the_run_without_leaking_it(
    db: Database, world: tuple[Any, FakeSensors]
) -> None:
    engine, platform = world
    platform.rotate_secret("sa-rotated-secret-90")
    run = await run_sync(engine, "history")
    assert run.status == "failed"
    assert "API_SECRET" in (run.error or "")
    assert SECRET not in (run.error or "")
    assert await stored(db) == []
