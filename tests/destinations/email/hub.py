"""The hub app with the email plugin, on a real database, in the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from litestar import Litestar

from junction.admin.app import create_app
from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.ingest import GroupCommitWriter, HubIngest
from junction.core.settings import Settings
from junction.plugins.manager import Plugins


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan, run in a task of its own (it must end where it began)."""
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
    try:
        yield
    finally:
        stopping.set()
        await task


@asynccontextmanager
async def hub_client(
    home: Path, db: Database, plugins: Plugins, connections: Connections
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the hub app (no background workers: tests run ID-mapping themselves)."""
    settings = Settings.from_env(
        {"JUNCTION_HOME": str(home), "JUNCTION_DATABASE_URL": str(db.engine.url)}
    )
    ingest = HubIngest(db, writer=GroupCommitWriter(db, max_delay=0.02), connections=connections)
    app = create_app(settings, plugins=plugins, db=db, ingest=ingest, workers=False)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://hub") as client:
            yield client
