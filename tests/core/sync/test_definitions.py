"""Bad sync definitions are refused with a precise message; nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Sync
from junction.core.errors import NotFoundError
from junction.core.sync import (
    SyncCreate,
    SyncDefinitionError,
    SyncUpdate,
    create_sync,
    get_sync,
    list_syncs,
    update_sync,
)
from junction.core.sync.store import decode_definition

from .world import box, make_segment, make_webhook, plugins


async def prepared(db: Database):  # type: ignore[no-untyped-def]
    registry, secrets = plugins(), box()
    await make_segment(db)
    await make_webhook(db, registry, secrets)
    await Connections(db, registry, secrets).create(
        name="files", plugin="file_export", config={"folder": "out"}, actor="t"
    )
    await Connections(db, registry, secrets).create(name="web", plugin="http", config={}, actor="t")
    return registry


def push(**changes: Any) -> SyncCreate:
    fields: dict[str, Any] = {
        "name": "s1",
        "kind": "push",
        "connection": "hook",
        "segment": "vips",
        "mode": "mirror",
        "identifiers": ["email"],
        "schedule": "*/15 * * * *",
    }
    return decode_definition({**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "message", "path"),
    [
        ({"segment": "nobody"}, "no segment named 'nobody'", "$.segment"),
        ({"connection": "nowhere"}, "no connection named 'nowhere'", "$.connection"),
        (
            {"identifiers": ["email", "idfa"]},
            "destination 'hook' (webhook) can't take identifier 'idfa'; it accepts email, phone",
            "$.identifiers[1]",
        ),
        ({"identifiers": []}, "choose the identifiers to send", "$.identifiers"),
        (
            {"identifiers": ["email", "email"]},
            "identifier 'email' is listed twice",
            "$.identifiers[1]",
        ),
        ({"schedule": "61 * * * *"}, "is not a valid cron expression", "$.schedule"),
        ({"schedule": "every hour"}, "is not a cron expression of five fields", "$.schedule"),
        (
            {"connection": "web"},
            "a push sync sends to a destination; 'web' is a source",
            "$.connection",
        ),
        ({"segment": None}, "a push sync needs a segment", "$.segment"),
    ],
)
async def test_bad_push_definitions_are_refused(
    db: Database, changes: dict[str, Any], message: str, path: str
) -> None:
    registry = await prepared(db)
    with pytest.raises(SyncDefinitionError) as caught:
        await create_sync(db, registry, push(**changes), actor="t")
    assert message in caught.value.message
    assert caught.value.path == path
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Sync)) == 0


async def test_a_destination_lacking_the_capability_is_refused(db: Database) -> None:
    from junction_hello.connector import HelloWebhook

    from junction.plugins.manager import load_plugins

    from .world import BUILTINS

    registry = load_plugins(builtins=BUILTINS, entry_points=True)
    assert "hello_webhook" in registry.connectors and HelloWebhook.spec.name == "hello_webhook"
    secrets = box()
    await make_segment(db)
    await Connections(db, registry, secrets).create(
        name="hello",
        plugin="hello_webhook",
        config={"url": "https://hello.example", "token": "hello-token-123"},
        actor="t",
    )
    with pytest.raises(SyncDefinitionError, match="can't replace whole audiences") as caught:
        await create_sync(db, registry, push(connection="hello", mode="replace"), actor="t")
    assert caught.value.path == "$.mode"


def test_shape_errors_name_the_field() -> None:
    with pytest.raises(SyncDefinitionError) as caught:
        decode_definition({"name": "Bad Name!", "kind": "push", "connection": "hook"})
    assert caught.value.path == "$.name"
    with pytest.raises(SyncDefinitionError) as caught:
        decode_definition({"name": "ok", "kind": "push", "connection": "hook", "mode": "sideways"})
    assert caught.value.path == "$.mode"
    with pytest.raises(SyncDefinitionError) as caught:
        decode_definition({"name": "ok", "kind": "push", "connection": "h", "colour": 1})
    assert "colour" in caught.value.message


async def test_a_pull_sync_needs_a_pullable_source(db: Database) -> None:
    registry = await prepared(db)
    definition = decode_definition({"name": "p", "kind": "pull", "connection": "web"})
    with pytest.raises(SyncDefinitionError, match="can't be pulled from") as caught:
        await create_sync(db, registry, definition, actor="t")
    assert caught.value.path == "$.connection"
    definition = decode_definition({"name": "p", "kind": "pull", "connection": "hook"})
    with pytest.raises(SyncDefinitionError, match="a pull sync reads from a source"):
        await create_sync(db, registry, definition, actor="t")


async def test_good_definitions_are_stored_and_can_change(db: Database) -> None:
    registry = await prepared(db)
    view = await create_sync(db, registry, push(), actor="t")
    assert (view.mode, view.schedule, view.plugin, view.segment) == (
        "mirror",
        "*/15 * * * *",
        "webhook",
        "vips",
    )
    with pytest.raises(SyncDefinitionError, match="already exists"):
        await create_sync(db, registry, push(), actor="t")
    changed = await update_sync(
        db, registry, "s1", SyncUpdate(manual=True, enabled=False, identifiers=["phone"]), actor="t"
    )
    assert (changed.schedule, changed.enabled, changed.identifiers) == (None, False, ["phone"])
    with pytest.raises(SyncDefinitionError, match="can't take identifier 'idfa'"):
        await update_sync(db, registry, "s1", SyncUpdate(identifiers=["idfa"]), actor="t")
    assert [s.name for s in await list_syncs(db)] == ["s1"]
    assert (await get_sync(db, "s1")).identifiers == ["phone"]
    with pytest.raises(NotFoundError):
        await get_sync(db, "nope")
