"""End to end through the real SyncEngine: failing runs notify the custom bot (signed),
and message syncs reach people through the app."""

from __future__ import annotations

from typing import Any

import msgspec

from junction.core.connections import Connections
from junction.core.db import Database
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
    email_of,
    make_engine,
    make_segment,
    make_webhook,
    run_sync,
)
from ...fakes.feishu import FakeFeishu
from ...fakes.webhook import FakeWebhook
from .common import BOT, BOT_SECRET, BOT_TOKEN, VALID

BUILTINS = ("junction.destinations.webhook", "junction.destinations.feishu")


async def world(db: Database, config: dict[str, Any]) -> tuple[Plugins, Any]:
    registry, secrets = load_plugins(builtins=BUILTINS, entry_points=False), box()
    await make_segment(db)
    await Connections(db, registry, secrets).create(
        name="ops", plugin="feishu", config=config, actor=ACTOR
    )
    return registry, secrets


async def test_a_failing_run_notifies_the_custom_bot_with_a_signed_card(db: Database) -> None:
    registry, secrets = await world(db, BOT)
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
    await add_people(db, secrets, 2)
    await compute(db)
    bot = FakeFeishu()  # verifies the signature with the bot's secret
    transports = {
        "hook": FakeWebhook("another-secret-0123456789").transport(),
        "ops": bot.transport(),
    }
    engine = make_engine(db, registry, secrets, transports, public_url="https://hub.example")
    run = await run_sync(engine, "vips-to-hook")
    assert run.status == "failed"
    [(token, body)] = bot.bot_posts
    assert token == BOT_TOKEN
    card = body["card"]
    assert card["header"]["title"]["content"] == f"Junction: sync vips-to-hook run {run.id} failed"
    assert card["header"]["template"] == "red"
    assert "failed 2" in card["elements"][0]["text"]["content"]
    button = card["elements"][1]["actions"][0]
    assert button["url"] == f"https://hub.example/admin/runs/{run.id}"
    assert BOT_SECRET not in str(body)


async def test_people_get_app_messages_by_email_and_operators_hear_of_the_partial_run(
    db: Database,
) -> None:
    registry, secrets = await world(db, VALID)
    settings = {"template": {"text": "Welcome aboard, member {{ profile.id }}"}}
    definition = SyncCreate(
        name="welcome",
        kind="message",  # type: ignore[arg-type]
        connection="ops",
        segment="vips",
        identifiers=["email"],
        consent_purpose="feishu",
        message=msgspec.convert(settings, MessageSettings),
        notify="ops",
    )
    await create_sync(db, registry, definition, actor=ACTOR)
    ids = await add_people(db, secrets, 3)
    await decide(db, ids, "feishu", "granted")
    # The third person is outside the app's availability scope.
    fake = FakeFeishu(users={"email": {email_of(pid) for pid in ids[:2]}})
    engine = make_engine(db, registry, secrets, {"ops": fake.transport()}, public_url="https://h")
    await compute(db)
    run = await run_sync(engine, "welcome")
    assert run.status == "partial"
    assert (run.planned, run.accepted, run.dead_lettered) == (3, 2, 1)
    assert_reconciles(run)
    assert sorted((m.receive_id, m.content["text"]) for m in fake.delivered) == sorted(
        (email_of(pid), f"Welcome aboard, member {pid}") for pid in ids[:2]
    )
    [letter] = await list_dead_letters(db)
    assert letter.code == "230013"
    [(_, body)] = fake.bot_posts
    assert body["card"]["header"]["title"]["content"].endswith(f"run {run.id} partial")
    again = await run_sync(engine, "welcome")
    assert again.planned == 0 and len(fake.delivered) == 2
