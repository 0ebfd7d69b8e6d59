"""Fixtures for the Sensors receiver: the hub with a ``sensors`` connection and its key."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from litestar import Litestar

from junction.admin.app import create_app
from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.ingest import GroupCommitWriter, HubIngest
from junction.core.secrets import SecretBox
from junction.core.settings import Settings
from junction.plugins.manager import BUILTIN_PLUGINS, Plugins, load_plugins
from tests.sources.sensors.helpers import PROJECT, Stored

SENSORS = "junction.sources.sensors"


@pytest.fixture
def plugins() -> Plugins:
    # Until the plugin is listed in BUILTIN_PLUGINS, tests load it explicitly.
    builtins = BUILTIN_PLUGINS if SENSORS in BUILTIN_PLUGINS else (*BUILTIN_PLUGINS, SENSORS)
    return load_plugins(builtins=builtins, entry_points=False)


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    return Settings.from_env(
        {"JUNCTION_HOME": str(tmp_path), "JUNCTION_DATABASE_URL": str(db.engine.url)}
    )


@pytest.fixture
def box(settings: Settings) -> SecretBox:
    return SecretBox.from_settings(settings.secret_key, settings.home)


@pytest.fixture
def connections(db: Database, plugins: Plugins, box: SecretBox) -> Connections:
    return Connections(db, plugins, box)


@pytest.fixture
async def write_key(connections: Connections) -> str:
    created = await connections.create(
        name="app", plugin="sensors", config={"project": PROJECT}, actor="admin"
    )
    assert created.created_write_key
    return created.created_write_key


@pytest.fixture
async def http_write_key(connections: Connections) -> str:
    """The key of an ``http`` source: valid, but not for the Sensors endpoint."""
    created = await connections.create(name="web", plugin="http", config={}, actor="admin")
    assert created.created_write_key
    return created.created_write_key


@pytest.fixture
def app(settings: Settings, plugins: Plugins, db: Database, connections: Connections) -> Litestar:
    ingest = HubIngest(db, writer=GroupCommitWriter(db, max_delay=0.01), connections=connections)
    return create_app(settings, plugins=plugins, db=db, ingest=ingest, workers=False)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client calling the app in the test's event loop, lifespan included."""
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
        task.result()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
        yield client
    stopping.set()
    await task


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def hub_url(settings: Settings, plugins: Plugins) -> Iterator[str]:
    """The whole hub (ID-mapping worker included) in uvicorn on a free port."""
    app = create_app(settings, plugins=plugins)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def stored(db: Database, box: SecretBox) -> Stored:
    return Stored(db, box)
