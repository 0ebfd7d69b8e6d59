"""Write keys: issued once with the connection, stored hashed, revocable, rotated, cached."""

from __future__ import annotations

import hashlib

import msgspec
import pytest
from sqlalchemy import select, update

from junction.core import audit
from junction.core.connections import ConnectionCreated, Connections
from junction.core.db import Database
from junction.core.db.tables import AuditEntry, Connection, WriteKey
from junction.core.db.types import utcnow
from junction.core.errors import ConfigError, NotFoundError
from junction.core.ingest import WriteKeyAuthenticator, hash_write_key, new_write_key
from junction.plugins import AudienceDestination, Capability, ConnectorSpec, Kind, hookimpl
from junction.plugins.manager import load_plugins
from junction.plugins.receiver import SourceRef


class NoConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    pass


class Sink(AudienceDestination[NoConfig]):
    spec = ConnectorSpec(
        name="sink",
        kind=Kind.DESTINATION,
        title="Sink",
        description="A destination: it receives nothing, so it has no write key.",
        config=NoConfig,
        capabilities=frozenset({Capability.AUDIENCE}),
    )


class SinkPlugin:
    @hookimpl
    def register_connectors(self) -> list[type[Sink]]:
        return [Sink]


def test_keys_are_random_prefixed_and_hashed_with_sha256() -> None:
    keys = {new_write_key() for _ in range(100)}
    assert len(keys) == 100
    key = keys.pop()
    assert key.startswith("jk_") and len(key) == 35
    assert hash_write_key(key) == hashlib.sha256(key.encode()).hexdigest()


async def test_a_receiving_connection_gets_a_key_once_stored_hashed(
    connections: Connections, db: Database
) -> None:
    created = await connections.create(name="web", plugin="http", config={}, actor="admin")
    assert isinstance(created, ConnectionCreated)
    key = created.created_write_key
    assert key is not None
    async with db.sessions() as session:
        row = (await session.scalars(select(WriteKey))).one()
    assert row.key_hash == hash_write_key(key)
    assert row.prefix == key[:8]
    assert row.revoked_at is None
    # Listing and reading the connection never shows it again.
    assert key not in msgspec.json.encode(await connections.list()).decode()
    assert not hasattr(await connections.get("web"), "created_write_key")


async def test_a_destination_gets_no_key(db: Database, connections: Connections) -> None:
    service = Connections(
        db, load_plugins(builtins=[SinkPlugin()], entry_points=False), connections.box
    )
    created = await service.create(name="crm", plugin="sink", config={}, actor="admin")
    assert created.created_write_key is None
    with pytest.raises(ConfigError, match="does not receive data"):
        await service.rotate_write_key("crm", actor="admin")


async def test_authenticate_finds_the_source(
    db: Database, connections: Connections, write_key: str
) -> None:
    source = await WriteKeyAuthenticator(db).authenticate(write_key)
    view = await connections.get("web")
    assert source == SourceRef(id=view.id, name="web", plugin="http")


@pytest.mark.parametrize("key", ["", "jk_unknown", "not even close"])
async def test_unknown_keys_are_refused(db: Database, write_key: str, key: str) -> None:
    assert await WriteKeyAuthenticator(db).authenticate(key) is None


async def test_revoked_keys_and_disabled_connections_are_refused(
    db: Database, write_key: str
) -> None:
    async with db.transaction() as session:
        await session.execute(update(Connection).values(enabled=False))
    assert await WriteKeyAuthenticator(db).authenticate(write_key) is None
    async with db.transaction() as session:
        await session.execute(update(Connection).values(enabled=True))
    assert await WriteKeyAuthenticator(db).authenticate(write_key) is not None
    async with db.transaction() as session:
        await session.execute(update(WriteKey).values(revoked_at=utcnow()))
    assert await WriteKeyAuthenticator(db).authenticate(write_key) is None


async def test_rotation_revokes_the_old_key_and_is_audited_without_keys(
    db: Database, connections: Connections, write_key: str
) -> None:
    new_key = await connections.rotate_write_key("web", actor="alice")
    assert new_key != write_key
    assert await WriteKeyAuthenticator(db).authenticate(write_key) is None
    assert await WriteKeyAuthenticator(db).authenticate(new_key) is not None
    async with db.sessions() as session:
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(e.actor, e.action) for e in entries] == [
        ("admin", "connection.create"),
        ("alice", "connection.rotate_write_key"),
    ]
    assert entries[0].details["write_key_prefix"] == write_key[:8]
    assert entries[1].details == {"revoked": 1, "write_key_prefix": new_key[:8]}
    text = msgspec.json.encode([e.details for e in entries]).decode()
    assert write_key not in text and new_key not in text
    assert (await audit.verify(db)).ok


async def test_rotating_an_unknown_connection_is_not_found(connections: Connections) -> None:
    with pytest.raises(NotFoundError):
        await connections.rotate_write_key("nope", actor="alice")


async def test_successful_lookups_are_cached_for_the_ttl(db: Database, write_key: str) -> None:
    now = [100.0]
    authenticator = WriteKeyAuthenticator(db, ttl=5.0, clock=lambda: now[0])
    source = await authenticator.authenticate(write_key)
    assert source is not None
    async with db.transaction() as session:
        await session.execute(update(WriteKey).values(revoked_at=utcnow()))
    now[0] = 104.9  # still cached: the revocation is not seen yet
    assert await authenticator.authenticate(write_key) == source
    now[0] = 105.1  # expired: looked up again, and refused
    assert await authenticator.authenticate(write_key) is None
