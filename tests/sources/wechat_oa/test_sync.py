"""The follower pull run by the sync engine against the fake WeChat, end to end."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from sqlalchemy import select

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Event
from junction.core.ingest import HubIngest
from junction.core.sync import SyncCreate, create_sync, get_sync
from junction.plugins.manager import load_plugins
from tests.core.sync.world import box, fast_policy, make_engine, run_sync
from tests.fakes.wechat_oa import FakeWechat

from .conftest import APP_ID, APP_SECRET, CALLBACK_TOKEN, TAGS, followers


async def identify_rows(db: Database) -> list[Event]:
    async with db.sessions() as session:
        return list((await session.scalars(select(Event).order_by(Event.id))).all())


@pytest.fixture
async def world(db: Database) -> Any:
    registry = load_plugins(builtins=("junction.sources.wechat_oa",), entry_points=False)
    secrets = box()
    await Connections(db, registry, secrets).create(
        name="official",
        plugin="wechat_oa",
        config={
            "app_id": APP_ID,
            "app_secret": APP_SECRET,
            "callback_token": CALLBACK_TOKEN,
            "api_base_url": "https://wechat.test",
        },
        actor="t",
    )
    await create_sync(
        db,
        registry,
        msgspec.convert(
            {"name": "followers", "kind": "pull", "connection": "official"}, SyncCreate
        ),
        actor="t",
    )
    fake = FakeWechat(
        app_id=APP_ID, app_secret=APP_SECRET, followers=followers(45), tags=TAGS, page_size=20
    )
    intake = HubIngest(db)
    await intake.start()
    engine = make_engine(
        db, registry, secrets, {"official": fake.transport()}, intake=intake, policy=fast_policy()
    )
    try:
        yield engine, fake
    finally:
        await intake.stop()


async def test_a_pull_stores_every_follower_and_the_finished_state(
    db: Database, world: Any
) -> None:
    engine, fake = world
    fake.fail("user/get", -1)  # WeChat busy once: the engine retries
    run = await run_sync(engine, "followers")
    assert run.status == "succeeded", run.error
    rows = await identify_rows(db)
    assert len(rows) == 45
    assert {row.type for row in rows} == {"identify"}
    openids = {
        (i["value"], i["scope"])
        for row in rows
        for i in row.context["identifiers"]
        if i["type"] == "wechat_openid"
    }
    assert openids == {(openid, APP_ID) for openid in fake.followers}
    assert run.retries == 1
    state = (await get_sync(db, "followers")).state
    assert state["pass"] == 1 and state["finished_at"]
    # The token was fetched once for the run and kept in the hub's token store.
    assert len(fake.calls_to("stable_token")) == 1
    # Not due again: the next run calls nothing and stores nothing.
    calls = len(fake.calls)
    again = await run_sync(engine, "followers")
    assert again.status == "succeeded"
    assert len(fake.calls) == calls
    assert len(await identify_rows(db)) == 45
