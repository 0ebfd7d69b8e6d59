"""End to end through the real SyncEngine: failing runs notify the group robot, and
message syncs reach members through the app."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import insert

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Identity
from junction.core.messaging.settings import MessageSettings
from junction.core.sync import SyncCreate, create_sync, list_dead_letters
from junction.plugins.manager import Plugins, load_plugins

from ...core.sync.world import (
    ACTOR,
    add_people,
    assert_reconciles,
    box,
    compute,
    decide,
    make_engine,
    make_segment,
    make_webhook,
    run_sync,
)
from ...fakes.webhook import FakeWebhook
from ...fakes.wecom import FakeWeCom
from .common import ROBOT, ROBOT_KEY, VALID

BUILTINS = ("junction.destinations.webhook", "junction.destinations.wecom")


async def world(db: Database, config: dict[str, Any]) -> tuple[Plugins, Any]:
    registry, secrets = load_plugins(builtins=BUILTINS, entry_points=False), box()
    await make_segment(db)
    await Connections(db, registry, secrets).create(
        name="ops", plugin="wecom", config=config, actor=ACTOR
    )
    return registry, secrets


async def staff(db: Database, secrets: Any, count: int) -> list[int]:
    """People whose hub user_id is their WeCom userid (staff<id>)."""
    ids = await add_people(db, secrets, count)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        await session.execute(
            insert(Identity),
            [
                {
                    "profile_id": pid,
                    "type": "user_id",
                    "scope": "",
                    "value": f"staff{pid}",
                    "hashed": False,
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
                for pid in ids
            ],
        )
    await decide(db, ids, "wecom", "granted")
    return ids


async def test_a_failing_run_notifies_the_group_robot(db: Database) -> None:
    registry, secrets = await world(db, ROBOT)
    await make_webhook(db, registry, secrets)
    definition = SyncCreate(
        name="vips-to-hook",
        kind="push",  # type: ignore[arg-type]
        connection="hook",
        segment="vips",
        mode="mirror",  # type: ignore[arg-type]
        identifiers=["email"],
        notify="ops",
    )
    await create_sync(db, registry, definition, actor=ACTOR)
    await add_people(db, secrets, 3)
    await compute(db)
    robot = FakeWeCom()
    transports = {
        "hook": FakeWebhook("another-secret-0123456789").transport(),
        "ops": robot.transport(),
    }
    engine = make_engine(db, registry, secrets, transports, public_url="https://hub.example/")
    run = await run_sync(engine, "vips-to-hook")
    assert run.status == "failed"
    [(key, body)] = robot.robot_posts
    assert key == ROBOT_KEY and body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert f"**Junction: sync vips-to-hook run {run.id} failed**" in content
    assert '<font color="warning">error</font>' in content
    assert "failed 3" in content and "hook refused the sync" in content
    assert content.endswith(f"[Open the run](https://hub.example/admin/runs/{run.id})")


async def test_members_get_app_messages_and_operators_hear_of_the_partial_run(
    db: Database,
) -> None:
    registry, secrets = await world(db, VALID)
    settings = {"template": {"text": "欢迎加入, member {{ profile.id }}"}}
    definition = SyncCreate(
        name="welcome",
        kind="message",  # type: ignore[arg-type]
        connection="ops",
        segment="vips",
        identifiers=["user_id"],
        consent_purpose="wecom",
        message=msgspec.convert(settings, MessageSettings),
        notify="ops",
    )
    await create_sync(db, registry, definition, actor=ACTOR)
    ids = await staff(db, secrets, 3)
    fake = FakeWeCom(users={f"staff{pid}" for pid in ids[:2]})  # the third left the company
    engine = make_engine(db, registry, secrets, {"ops": fake.transport()}, public_url="https://h/")
    await compute(db)
    run = await run_sync(engine, "welcome")
    assert run.status == "partial"
    assert (run.planned, run.accepted, run.dead_lettered) == (3, 2, 1)
    assert_reconciles(run)
    assert sorted((m.userid, m.content["content"]) for m in fake.delivered) == sorted(
        (f"staff{pid}", f"欢迎加入, member {pid}") for pid in ids[:2]
    )
    [letter] = await list_dead_letters(db)
    assert letter.code == "81013"  # a personal message is a call of its own: all invalid
    [(_, body)] = fake.robot_posts
    assert f"run {run.id} partial" in body["markdown"]["content"]
    assert "dead-lettered 1" in body["markdown"]["content"]
    # Sends are never repeated: a second run has nothing to send.
    again = await run_sync(engine, "welcome")
    assert again.planned == 0 and len(fake.delivered) == 2
