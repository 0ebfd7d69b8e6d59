"""Fixtures for the tracking API: the hub app with an ``http`` source and its write key."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select

from junction.admin.app import create_app
from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Event as EventRow
from junction.core.db.tables import SourceCounter
from junction.core.ingest import GroupCommitWriter, HubIngest
from junction.core.secrets import SecretBox, generate_key
from junction.core.settings import Settings
from junction.plugins.manager import Plugins, load_plugins


@pytest.fixture
def plugins() -> Plugins:
    return load_plugins(entry_points=False)


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    return Settings.from_env(
        {"JUNCTION_HOME": str(tmp_path), "JUNCTION_DATABASE_URL": str(db.engine.url)}
    )


@pytest.fixture
def connections(db: Database, plugins: Plugins, tmp_path: Path) -> Connections:
    return Connections(db, plugins, SecretBox.from_settings(generate_key(), tmp_path))


@pytest.fixture
async def write_key(connections: Connections) -> str:
    created = await connections.create(name="web", plugin="http", config={}, actor="admin")
    assert created.created_write_key
    return created.created_write_key


@pytest.fixture
def writer(db: Database) -> GroupCommitWriter:
    """The app's writer; a test may override this fixture to inject another."""
    return GroupCommitWriter(db, max_delay=0.02)


@pytest.fixture
def app(settings: Settings, plugins: Plugins, db: Database, writer: GroupCommitWriter) -> Litestar:
    # Ingestion alone: ID-mapping is tested on its own and end to end in test_sdks.py.
    return create_app(
        settings, plugins=plugins, db=db, ingest=HubIngest(db, writer=writer), workers=False
    )


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client calling the app in the test's event loop, lifespan included.

    litestar's AsyncTestClient runs the app in a thread with its own loop, where the
    database connections the fixtures opened cannot be used. The lifespan runs in a
    task of its own because it must end in the task it began in.
    """
    started, stopping = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stopping.wait()

    task = asyncio.create_task(lifespan())
    ready = asyncio.create_task(started.wait())
    await asyncio.wait([task, ready], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()  # start-up failed: raise its error
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        yield client
    stopping.set()
    await task


@pytest.fixture
def auth(write_key: str) -> dict[str, str]:
    """The Authorization header the SDKs send: Basic with the key as username."""
    token = base64.b64encode(f"{write_key}:".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Stored:
    """Reads back what the endpoints stored."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def events(self) -> list[EventRow]:
        async with self.db.sessions() as session:
            return list((await session.scalars(select(EventRow).order_by(EventRow.id))).all())

    async def resolved(self, within: float = 10.0) -> list[EventRow]:
        """The events once the hub's worker has mapped them all to profiles."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            rows = await self.events()
            if rows and all(row.resolution == 1 for row in rows):
                return rows
            assert asyncio.get_running_loop().time() < deadline, "ID-mapping did not finish"
            await asyncio.sleep(0.05)

    async def counters(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        async with self.db.sessions() as session:
            for row in (await session.scalars(select(SourceCounter))).all():
                totals[row.name] = totals.get(row.name, 0) + row.count
        return totals


@pytest.fixture
def stored(db: Database) -> Stored:
    return Stored(db)
