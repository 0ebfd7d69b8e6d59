"""/api/v1/profiles over HTTP: tokens and roles, masking, reveal auditing, erasure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from junction.admin.app import create_app
from junction.core import api_tokens
from junction.core.db import Database
from junction.core.db.tables import AuditEntry
from junction.core.identity import Resolver
from junction.core.secrets import SecretBox
from junction.core.settings import Settings
from junction.plugins.manager import load_plugins

from ..core.identity.helpers import add_events, event, make_source


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    from junction.core.secrets import generate_key

    return Settings.from_env(
        {
            "JUNCTION_HOME": str(tmp_path),
            "JUNCTION_DATABASE_URL": str(db.engine.url.render_as_string(hide_password=False)),
            "JUNCTION_SECRET_KEY": generate_key(),
        }
    )


@pytest.fixture
async def client(settings: Settings) -> Any:
    # The app opens its own database: the test client serves it from another event
    # loop, and pooled connections must not cross loops.
    app = create_app(settings, plugins=load_plugins(entry_points=False))
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.fixture
async def tokens(db: Database) -> dict[str, str]:
    made = {}
    for role in ("viewer", "editor", "admin"):
        made[role], _ = await api_tokens.create_token(db, name=role, role=role, actor="test")
    return made


@pytest.fixture
async def person(db: Database, settings: Settings) -> None:
    box = SecretBox.from_settings(settings.secret_key, settings.home)
    source = await make_source(db)
    await add_events(
        db,
        source,
        [event("identify", user_id="u-1", traits={"phone": "13812345678", "plan": "gold"})],
    )
    await Resolver(db, box).resolve_all()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_every_api_route_needs_a_token(client: Any) -> None:
    for path in ("/api/v1/profiles/1", "/api/v1/profiles/lookup?type=user_id&value=x"):
        response = await client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
    bad = await client.get("/api/v1/profiles/1", headers=auth("jt_not-a-real-token"))
    assert bad.status_code == 401


async def test_lookup_masks_pii_for_viewers(
    client: Any, tokens: dict[str, str], person: None
) -> None:
    response = await client.get(
        "/api/v1/profiles/lookup",
        params={"type": "phone", "value": "+86 138 1234 5678"},
        headers=auth(tokens["viewer"]),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert {i["type"]: i["value"] for i in body["identities"]}["phone"] == "138****5678"
    assert "13812345678" not in response.text
    assert body["traits"]["plan"] == "gold"


async def test_reveal_needs_admin_and_is_audited(
    client: Any, tokens: dict[str, str], person: None, db: Database
) -> None:
    params = {"type": "user_id", "value": "u-1", "reveal": "true"}
    denied = await client.get(
        "/api/v1/profiles/lookup", params=params, headers=auth(tokens["editor"])
    )
    assert denied.status_code == 403
    allowed = await client.get(
        "/api/v1/profiles/lookup", params=params, headers=auth(tokens["admin"])
    )
    assert {i["type"]: i["value"] for i in allowed.json()["identities"]}["phone"] == (
        "+8613812345678"
    )
    async with db.sessions() as session:
        actions = (
            await session.scalars(
                select(AuditEntry.actor).where(AuditEntry.action == "profile.reveal")
            )
        ).all()
    assert actions == ["token:admin"]


async def test_unknown_identifier_is_a_json_404(client: Any, tokens: dict[str, str]) -> None:
    response = await client.get(
        "/api/v1/profiles/lookup",
        params={"type": "email", "value": "nobody@example.com"},
        headers=auth(tokens["viewer"]),
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no profile has that email"


async def test_erasure_is_admin_only(client: Any, tokens: dict[str, str], person: None) -> None:
    found = await client.get(
        "/api/v1/profiles/lookup",
        params={"type": "user_id", "value": "u-1"},
        headers=auth(tokens["viewer"]),
    )
    profile_id = found.json()["id"]
    forbidden = await client.delete(
        f"/api/v1/profiles/{profile_id}", headers=auth(tokens["editor"])
    )
    assert forbidden.status_code == 403
    erased = await client.delete(f"/api/v1/profiles/{profile_id}", headers=auth(tokens["admin"]))
    assert erased.status_code == 200
    assert erased.json()["identities_tombstoned"] == 2
    gone = await client.get(
        "/api/v1/profiles/lookup",
        params={"type": "user_id", "value": "u-1"},
        headers=auth(tokens["viewer"]),
    )
    assert gone.status_code == 404
