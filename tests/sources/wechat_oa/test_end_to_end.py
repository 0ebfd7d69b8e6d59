"""A follow and an unfollow, from WeChat's push to the resolved profile (ID-mapping on)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from junction.admin.app import create_app
from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Event, Identity, Profile
from junction.core.secrets import SecretBox
from junction.core.settings import Settings
from junction.plugins.manager import load_plugins
from tests.fakes.wechat_oa import WechatServer

from .conftest import APP_ID, APP_SECRET, CALLBACK_TOKEN
from .hub import running, send

OPENID = "oE2E000001"


@pytest.fixture
async def client(tmp_path: Path, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings.from_env(
        {"JUNCTION_HOME": str(tmp_path), "JUNCTION_DATABASE_URL": str(db.engine.url)}
    )
    plugins = load_plugins(builtins=("junction.sources.wechat_oa",), entry_points=False)
    box = SecretBox.from_settings(settings.secret_key, settings.home)
    await Connections(db, plugins, box).create(
        name="official",
        plugin="wechat_oa",
        config={"app_id": APP_ID, "app_secret": APP_SECRET, "callback_token": CALLBACK_TOKEN},
        actor="admin",
    )
    # The app's own intake and resolver, as deployed: ID-mapping runs in the background.
    app = create_app(settings, plugins=plugins, db=db, workers=True)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            yield client


async def resolved(db: Database, count: int) -> list[Event]:
    for _ in range(200):
        async with db.sessions() as session:
            rows = list((await session.scalars(select(Event))).all())
        if len(rows) == count and all(row.resolution == 1 for row in rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"ID-mapping did not finish: {rows}")


async def test_a_follower_becomes_one_profile_keyed_by_the_scoped_openid(
    client: httpx.AsyncClient, db: Database
) -> None:
    wechat = WechatServer(token=CALLBACK_TOKEN, app_id=APP_ID)
    path = "/hooks/wechat_oa/official"
    follow = wechat.event(OPENID, "subscribe", created=1_714_000_000, EventKey="qrscene_7")
    assert (await send(client, wechat.push(path, follow))).text == "success"
    unfollow = wechat.event(OPENID, "unsubscribe", created=1_714_086_400)
    assert (await send(client, wechat.push(path, unfollow))).text == "success"
    rows = await resolved(db, 4)  # two track events, two profile updates
    assert len({row.profile_id for row in rows}) == 1
    async with db.sessions() as session:
        identities = {
            (i.type, i.scope, i.value) for i in (await session.scalars(select(Identity))).all()
        }
        (profile,) = (await session.scalars(select(Profile))).all()
    assert ("wechat_openid", APP_ID, OPENID) in identities
    assert identities <= {
        ("wechat_openid", APP_ID, OPENID),
        ("anonymous_id", "", f"wechat:{APP_ID}:{OPENID}"),
    }
    # The unfollow came last: the profile says so.
    assert profile.traits["wechat_subscribed"] is False
    assert profile.traits["wechat_subscribe_time"] == "2024-04-24T23:06:40+00:00"
