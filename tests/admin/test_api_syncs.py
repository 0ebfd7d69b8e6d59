"""/api/v1/syncs, /runs and a destination's match history over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from junction.admin.app import create_app
from junction.core import api_tokens
from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.secrets import SecretBox, generate_key
from junction.core.settings import Settings
from junction.core.sync import SyncEngine, claim
from junction.plugins.manager import Plugins, load_plugins

from ..core.sync.world import add_people, compute, make_segment

PUSH = {
    "name": "vips-out",
    "kind": "push",
    "connection": "files",
    "segment": "vips",
    "identifiers": ["email"],
}


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    return Settings.from_env(
        {
            "JUNCTION_HOME": str(tmp_path),
            "JUNCTION_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
            "JUNCTION_SECRET_KEY": generate_key(),
        }
    )


@pytest.fixture
def plugins() -> Plugins:
    return load_plugins(entry_points=False)


@pytest.fixture
def box(settings: Settings) -> SecretBox:
    return SecretBox.from_settings(settings.secret_key, settings.home)


@pytest.fixture
async def client(settings: Settings, db: Database, plugins: Plugins, box: SecretBox) -> Any:
    await add_people(db, box, 4)
    await make_segment(db)
    await compute(db)
    config = {"folder": "out"}
    await Connections(db, plugins, box).create(
        name="files", plugin="file_export", config=config, actor="t"
    )
    app = create_app(settings, plugins=plugins, workers=False)
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.fixture
async def headers(db: Database) -> dict[str, dict[str, str]]:
    made = {}
    for role in ("viewer", "editor"):
        token, _ = await api_tokens.create_token(db, name=role, role=role, actor="test")
        made[role] = {"Authorization": f"Bearer {token}"}
    return made


async def test_define_run_and_read_the_match_history(
    client: Any,
    headers: dict[str, dict[str, str]],
    db: Database,
    plugins: Plugins,
    box: SecretBox,
) -> None:
    denied = await client.post("/api/v1/syncs", json=PUSH, headers=headers["viewer"])
    assert denied.status_code == 403
    created = await client.post("/api/v1/syncs", json=PUSH, headers=headers["editor"])
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "push"
    listed = await client.get("/api/v1/syncs", headers=headers["viewer"])
    assert [s["name"] for s in listed.json()] == ["vips-out"]

    queued = await client.post("/api/v1/syncs/vips-out/run", headers=headers["editor"])
    assert queued.status_code == 202, queued.text
    run_id = queued.json()["run"]
    again = await client.post("/api/v1/syncs/vips-out/run", headers=headers["editor"])
    assert again.status_code == 409  # one queued run per sync

    engine = SyncEngine(db, plugins, box)
    assert await claim(db, engine.worker, engine.lease, run_id=run_id) == run_id
    await engine.execute(run_id)
    run = await client.get(f"/api/v1/runs/{run_id}", headers=headers["viewer"])
    assert run.status_code == 200
    assert (run.json()["run"]["status"], run.json()["run"]["accepted"]) == ("succeeded", 4)
    matches = await client.get("/api/v1/connections/files/matches", headers=headers["viewer"])
    assert matches.status_code == 200
    [point] = matches.json()
    assert (point["run"], point["planned"], point["accepted"]) == (run_id, 4, 4)
    missing = await client.get("/api/v1/connections/nope/matches", headers=headers["viewer"])
    assert missing.status_code == 404


async def test_a_refused_definition_is_a_400_naming_the_field(
    client: Any, headers: dict[str, dict[str, str]]
) -> None:
    bad = {**PUSH, "identifiers": ["idfa"]}
    refused = await client.post("/api/v1/syncs", json=bad, headers=headers["editor"])
    assert refused.status_code == 400
    assert "can't take identifier 'idfa'" in refused.json()["error"]["message"]
    paused = await client.patch(
        "/api/v1/syncs/nope", json={"enabled": False}, headers=headers["editor"]
    )
    assert paused.status_code == 404


async def test_a_message_preview_lists_what_is_missing(
    client: Any, headers: dict[str, dict[str, str]]
) -> None:
    body = {"template": {"text": "Hi {{ traits.name }}"}, "traits": {"name": "Lei"}}
    ok = await client.post("/api/v1/messages/preview", json=body, headers=headers["viewer"])
    assert ok.status_code == 200, ok.text
    assert ok.json()["text"] == "Hi Lei"
    body = {"template": {"text": "Hi {{ traits.name }} {{ traits.tier }}"}}
    missing = await client.post("/api/v1/messages/preview", json=body, headers=headers["viewer"])
    assert missing.status_code == 400
    assert "text: traits.name, text: traits.tier" in missing.json()["error"]["message"]
