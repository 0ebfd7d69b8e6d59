"""Fixtures for ingestion: an ``http`` source connection with its write key, a running ingest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Event as EventRow
from junction.core.db.tables import SourceCounter
from junction.core.ingest import HubIngest
from junction.core.secrets import SecretBox, generate_key
from junction.plugins.manager import Plugins, load_plugins
from junction.plugins.receiver import SourceRef


@pytest.fixture
def plugins() -> Plugins:
    return load_plugins(entry_points=False)


@pytest.fixture
def connections(db: Database, plugins: Plugins, tmp_path: Path) -> Connections:
    return Connections(db, plugins, SecretBox.from_settings(generate_key(), tmp_path))


@pytest.fixture
async def write_key(connections: Connections) -> str:
    created = await connections.create(name="web", plugin="http", config={}, actor="admin")
    assert created.created_write_key is not None
    return created.created_write_key


@pytest.fixture
async def ingest(db: Database) -> AsyncIterator[HubIngest]:
    service = HubIngest(db)
    await service.start()
    yield service
    await service.stop()


@pytest.fixture
async def source(ingest: HubIngest, write_key: str) -> SourceRef:
    found = await ingest.authenticate(write_key)
    assert found is not None
    return found


class Stored:
    """Reads back what ingestion stored."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def events(self) -> list[EventRow]:
        async with self.db.sessions() as session:
            return list((await session.scalars(select(EventRow).order_by(EventRow.id))).all())

    async def counters(self) -> dict[str, int]:
        """The source counters by name, summed over sources and days."""
        totals: dict[str, int] = {}
        async with self.db.sessions() as session:
            for row in (await session.scalars(select(SourceCounter))).all():
                totals[row.name] = totals.get(row.name, 0) + row.count
        return totals


@pytest.fixture
def stored(db: Database) -> Stored:
    return Stored(db)
