"""Connections: config validated before storing, secrets sealed, never shown, audited."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import httpx
import msgspec
import pytest
from msgspec import Meta
from sqlalchemy import select

from junction.core import audit
from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import AuditEntry, Connection
from junction.core.errors import ConfigError, NotFoundError, SecretKeyError
from junction.core.secrets import SecretBox, generate_key
from junction.plugins import (
    AudienceDestination,
    AuthFailed,
    Capability,
    CheckResult,
    ConnectorContext,
    ConnectorSpec,
    Kind,
    hookimpl,
    secret,
)
from junction.plugins.manager import Plugins, load_plugins

TOKEN = "tok-9f8e7d6c5b4a"


class VaultConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    url: Annotated[str, Meta(title="Endpoint")]
    retries: Annotated[int, Meta(ge=0, le=10)] = 3
    token: Annotated[str, secret("API token")]


class VaultDestination(AudienceDestination[VaultConfig]):
    spec = ConnectorSpec(
        name="vault",
        kind=Kind.DESTINATION,
        title="Vault",
        description="Test destination with a bearer token.",
        config=VaultConfig,
        capabilities=frozenset({Capability.AUDIENCE}),
    )

    async def check(self, ctx: ConnectorContext[VaultConfig]) -> CheckResult:
        async with ctx.http() as client:
            response = await client.get(
                ctx.config.url, headers={"Authorization": f"Bearer {ctx.config.token}"}
            )
        if response.status_code == 401:
            raise AuthFailed(f"token {ctx.config.token} was refused")  # leaks on purpose
        return CheckResult(ok=True, message="reachable")


class VaultPlugin:
    @hookimpl
    def register_connectors(self) -> list[type[Any]]:
        return [VaultDestination]


def platform(request: httpx.Request) -> httpx.Response:
    if request.headers.get("Authorization") != f"Bearer {TOKEN}":
        return httpx.Response(401, json={"error": "bad token"})
    return httpx.Response(200, json={"ok": True})


@pytest.fixture
def plugins() -> Plugins:
    return load_plugins(builtins=[VaultPlugin()], entry_points=False)


@pytest.fixture
def service(db: Database, plugins: Plugins, tmp_path: Path) -> Connections:
    return Connections(db, plugins, SecretBox.from_settings(generate_key(), tmp_path))


GOOD = {"url": "https://vault.test/ping", "token": TOKEN}


async def test_create_stores_config_and_seals_secrets(service: Connections, db: Database) -> None:
    view = await service.create(name="crm", plugin="vault", config=GOOD, actor="admin")
    assert view.config == {"url": "https://vault.test/ping"}
    assert view.secrets_set == ("token",)
    assert TOKEN not in msgspec.json.encode(view).decode()
    async with db.sessions() as session:
        row = (await session.scalars(select(Connection))).one()
    assert TOKEN.encode() not in (row.secrets or b"")
    assert TOKEN not in msgspec.json.encode(row.config).decode()


async def test_context_opens_secrets_for_the_plugin(service: Connections) -> None:
    await service.create(name="crm", plugin="vault", config=GOOD, actor="admin")
    ctx = await service.context("crm")
    assert ctx.config == VaultConfig(url="https://vault.test/ping", token=TOKEN)


async def test_check_runs_against_the_platform(service: Connections) -> None:
    await service.create(name="crm", plugin="vault", config=GOOD, actor="admin")
    result = await service.check("crm", actor="admin", transport=httpx.MockTransport(platform))
    assert result.ok and result.message == "reachable"


async def test_failed_check_is_clean_and_never_echoes_the_secret(service: Connections) -> None:
    bad = {**GOOD, "token": "wrong-token-123"}
    await service.create(name="crm", plugin="vault", config=bad, actor="admin")
    result = await service.check("crm", actor="admin", transport=httpx.MockTransport(platform))
    assert not result.ok
    assert "AuthFailed" in result.message
    assert "wrong-token-123" not in result.message


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"token": TOKEN}, "missing required field `url`"),
        ({**GOOD, "retries": "many"}, "Expected `int`, got `str` - at `config.retries`"),
        ({**GOOD, "retries": 99}, "<= 10 - at `config.retries`"),
        ({**GOOD, "colour": "red"}, "unknown field `colour`"),
    ],
)
async def test_bad_config_is_refused_precisely_and_stores_nothing(
    service: Connections, db: Database, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("`", "`")):
        await service.create(name="crm", plugin="vault", config=config, actor="admin")
    assert await service.list() == []
    assert (await audit.verify(db)).checked == 0


async def test_unknown_plugin_suggests_the_near_name(service: Connections) -> None:
    with pytest.raises(NotFoundError, match="Did you mean 'vault'"):
        await service.create(name="crm", plugin="vaul", config=GOOD, actor="admin")


async def test_duplicate_and_malformed_names_are_refused(service: Connections) -> None:
    await service.create(name="crm", plugin="vault", config=GOOD, actor="admin")
    with pytest.raises(ConfigError, match="already exists"):
        await service.create(name="crm", plugin="vault", config=GOOD, actor="admin")
    with pytest.raises(ConfigError, match="must be 1-100 characters"):
        await service.create(name="CRM hook!", plugin="vault", config=GOOD, actor="admin")
    assert [view.name for view in await service.list()] == ["crm"]


async def test_wrong_secret_key_is_a_clear_error(
    service: Connections, db: Database, plugins: Plugins, tmp_path: Path
) -> None:
    await service.create(name="crm", plugin="vault", config=GOOD, actor="admin")
    other = Connections(db, plugins, SecretBox.from_settings(generate_key(), tmp_path))
    with pytest.raises(SecretKeyError, match="were encrypted with key"):
        await other.context("crm")


async def test_changes_are_audited_without_secrets(service: Connections, db: Database) -> None:
    await service.create(name="crm", plugin="vault", config=GOOD, actor="alice")
    await service.check("crm", actor="bob", transport=httpx.MockTransport(platform))
    async with db.sessions() as session:
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("alice", "connection.create", "connection:crm"),
        ("bob", "connection.check", "connection:crm"),
    ]
    assert entries[0].details["secrets_set"] == ["token"]
    assert TOKEN not in msgspec.json.encode([e.details for e in entries]).decode()
    assert (await audit.verify(db)).ok
