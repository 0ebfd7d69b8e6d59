"""/api/v1/segments over HTTP: roles, validation errors, preview, compute and diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from junction.admin.app import create_app
from junction.core import api_tokens
from junction.core.db import Database
from junction.core.identity import Resolver
from junction.core.secrets import SecretBox, generate_key
from junction.core.settings import Settings
from junction.plugins.manager import load_plugins

from ..core.identity.helpers import add_events, event, make_source

LOYAL = {"type": "all", "conditions": [{"type": "consent", "purpose": "sms"}]}


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
async def client(settings: Settings, db: Database) -> Any:
    box = SecretBox.from_settings(settings.secret_key, settings.home)
    source = await make_source(db)
    await add_events(
        db,
        source,
        [
            event("identify", user_id="a", traits={"consent": {"sms": True}}),
            event("identify", user_id="b", traits={"consent": {"sms": False}}),
        ],
    )
    await Resolver(db, box).resolve_all()
    app = create_app(settings, plugins=load_plugins(entry_points=False), workers=False)
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.fixture
async def headers(db: Database) -> dict[str, dict[str, str]]:
    made = {}
    for role in ("viewer", "editor"):
        token, _ = await api_tokens.create_token(db, name=role, role=role, actor="test")
        made[role] = {"Authorization": f"Bearer {token}"}
    return made


async def test_create_compute_and_read_the_diff(
    client: Any, headers: dict[str, dict[str, str]]
) -> None:
    body = {"name": "sms-ok", "condition": LOYAL}
    denied = await client.post("/api/v1/segments", json=body, headers=headers["viewer"])
    assert denied.status_code == 403
    created = await client.post("/api/v1/segments", json=body, headers=headers["editor"])
    assert created.status_code == 201, created.text
    run = await client.post("/api/v1/segments/sms-ok/compute", headers=headers["editor"])
    assert run.status_code == 200, run.text
    assert run.json()["members"] == 1
    diff = await client.get("/api/v1/segments/sms-ok/changes", headers=headers["viewer"])
    assert diff.status_code == 200
    listed = await client.get("/api/v1/segments", headers=headers["viewer"])
    assert [s["name"] for s in listed.json()] == ["sms-ok"]


async def test_invalid_definition_is_a_located_400(
    client: Any, headers: dict[str, dict[str, str]]
) -> None:
    body = {"name": "bad", "condition": {"type": "all", "conditions": [{"type": "nope"}]}}
    response = await client.post("/api/v1/segments", json=body, headers=headers["editor"])
    assert response.status_code == 400
    assert "$.condition" in response.text
    missing = await client.get("/api/v1/segments/bad", headers=headers["viewer"])
    assert missing.status_code == 404


async def test_preview_counts_without_saving(
    client: Any, headers: dict[str, dict[str, str]]
) -> None:
    response = await client.post(
        "/api/v1/segments/preview", json={"condition": LOYAL}, headers=headers["viewer"]
    )
    assert response.status_code == 200, response.text
    assert response.json()["count"] == 1
    listed = await client.get("/api/v1/segments", headers=headers["viewer"])
    assert listed.json() == []
