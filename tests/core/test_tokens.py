"""Shared access tokens: fetched once, sealed at rest, refreshed once when stale."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import select

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import ConnectorToken
from junction.core.ingest import HubIngest
from junction.core.secrets import SecretBox
from junction.core.tokens import DatabaseTokenStore
from junction.plugins import AccessToken, MemoryTokenStore, TokenStore
from junction.plugins.manager import load_plugins


class Issuer:
    """A platform's token endpoint: each call issues a new token (invalidating the last)."""

    def __init__(self, expires_in: float = 7200, delay: float = 0.0) -> None:
        self.issued: list[str] = []
        self.expires_in = expires_in
        self.delay = delay

    async def fetch(self) -> AccessToken:
        await asyncio.sleep(self.delay)
        value = f"token-{len(self.issued) + 1}-{os.urandom(6).hex()}"
        self.issued.append(value)
        return AccessToken(value=value, expires_in=self.expires_in)


@pytest.fixture
def box() -> SecretBox:
    return SecretBox([os.urandom(32)])


@pytest.fixture
async def connection_id(db: Database, box: SecretBox) -> int:
    connections = Connections(db, load_plugins(entry_points=False), box)
    created = await connections.create(name="web", plugin="http", config={}, actor="test")
    return created.id


async def test_a_token_is_fetched_once_and_sealed_at_rest(
    db: Database, box: SecretBox, connection_id: int
) -> None:
    issuer = Issuer()
    store = DatabaseTokenStore(db, box, connection_id)
    first = await store.get("access_token", issuer.fetch)
    # Another process (a store of its own) reads the same token without fetching.
    again = await DatabaseTokenStore(db, box, connection_id).get("access_token", issuer.fetch)
    assert first == again == issuer.issued[0]
    assert len(issuer.issued) == 1
    async with db.sessions() as session:
        sealed = await session.scalar(select(ConnectorToken.sealed))
    assert sealed is not None and first.encode() not in sealed


async def test_a_stale_token_is_replaced_once(
    db: Database, box: SecretBox, connection_id: int
) -> None:
    issuer = Issuer()
    store = DatabaseTokenStore(db, box, connection_id)
    old = await store.get("access_token", issuer.fetch)
    # Two callers are told the token is invalid at once: one refresh between them.
    new = await asyncio.gather(
        store.get("access_token", issuer.fetch, stale=old),
        store.get("access_token", issuer.fetch, stale=old),
    )
    assert new[0] == new[1] == issuer.issued[1]
    assert len(issuer.issued) == 2
    # A caller holding an already-replaced token gets the replacement, no fetch.
    assert await store.get("access_token", issuer.fetch, stale=old) == issuer.issued[1]
    assert len(issuer.issued) == 2


async def test_a_token_about_to_expire_is_refreshed_first(
    db: Database, box: SecretBox, connection_id: int
) -> None:
    issuer = Issuer(expires_in=120)  # inside the five-minute refresh margin
    store = DatabaseTokenStore(db, box, connection_id)
    await store.get("access_token", issuer.fetch)
    await store.get("access_token", issuer.fetch)
    assert len(issuer.issued) == 2


async def test_keys_and_connections_do_not_share_tokens(
    db: Database, box: SecretBox, connection_id: int
) -> None:
    issuer = Issuer()
    store = DatabaseTokenStore(db, box, connection_id)
    a = await store.get("access_token", issuer.fetch)
    b = await store.get("tenant_access_token", issuer.fetch)
    assert a != b and len(issuer.issued) == 2


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_workers_on_postgresql_refresh_one_at_a_time(
    database_url: str, box: SecretBox, backend: str
) -> None:
    """Two processes' stores (own engines, no shared process lock) race for a refresh."""
    one, two = Database.open(database_url), Database.open(database_url)
    try:
        connections = Connections(one, load_plugins(entry_points=False), box)
        created = await connections.create(name="web", plugin="http", config={}, actor="t")
        issuer = Issuer(delay=0.2)
        stores = [DatabaseTokenStore(db, box, created.id) for db in (one, two)]
        # The row lock alone must serialize them: call past the in-process lock.
        tokens = await asyncio.gather(
            *(store._refresh_locked("access_token", issuer.fetch, None) for store in stores)
        )
        assert tokens[0] == tokens[1] == issuer.issued[0]
        assert len(issuer.issued) == 1
    finally:
        await one.close()
        await two.close()


async def test_the_memory_store_keeps_the_same_promises() -> None:
    issuer = Issuer()
    store: TokenStore = MemoryTokenStore()
    first = await asyncio.gather(*(store.get("t", issuer.fetch) for _ in range(5)))
    assert set(first) == {issuer.issued[0]}
    assert await store.get("t", issuer.fetch, stale=first[0]) == issuer.issued[1]
    assert await store.get("t", issuer.fetch, stale=first[0]) == issuer.issued[1]


async def test_receivers_find_their_connection_with_its_context(
    db: Database, box: SecretBox
) -> None:
    plugins = load_plugins(entry_points=False)
    connections = Connections(db, plugins, box)
    created = await connections.create(name="web", plugin="http", config={}, actor="test")
    ingest = HubIngest(db, connections=connections)
    found = await ingest.connection("http", "web")
    assert found is not None
    ref, ctx = found
    assert (ref.id, ref.name, ref.plugin) == (created.id, "web", "http")
    assert isinstance(ctx.tokens, DatabaseTokenStore)
    # Another plugin's name, an unknown name, or a hub without connections: nothing.
    assert await ingest.connection("wechat_oa", "web") is None
    assert await ingest.connection("http", "nope") is None
    assert await HubIngest(db).connection("http", "web") is None
