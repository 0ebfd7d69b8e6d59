"""The litestar application: ``create_app()`` wires small ``_configure_*`` steps."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import Provide
from sqlalchemy import text

from junction.admin.api import api_router
from junction.admin.api.auth import require_token
from junction.admin.errors import EXCEPTION_HANDLERS, error_response
from junction.admin.web import web_handlers
from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.identity import Resolver
from junction.core.ingest import HubIngest
from junction.core.secrets import SecretBox
from junction.core.settings import Settings
from junction.core.sync import BackgroundSync, SyncEngine
from junction.plugins.manager import Plugins, load_plugins

log = logging.getLogger("junction.http")


def junction_version() -> str:
    try:
        return version("junction")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0+unknown"


@get("/health", tags=["meta"])
async def health(state: State) -> Any:
    """Liveness and database reachability. Public: load balancers call it."""
    db: Database = state.db
    try:
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health check: database unreachable: %s", exc)
        return error_response(503, "database unreachable", code="unavailable")
    return {"status": "ok", "database": db.dialect, "version": junction_version()}


def create_app(
    settings: Settings | None = None,
    *,
    plugins: Plugins | None = None,
    db: Database | None = None,
    ingest: HubIngest | None = None,
    workers: bool = True,
) -> Litestar:
    """Build the hub's HTTP application.

    The app owns (opens and closes) the database unless one is passed in, and refuses
    to start against a schema that isn't migrated to this version's head. Its lifespan
    runs the ingest's group-commit writer (flushed before the database closes) and,
    with ``workers``, the embedded background work: ID-mapping of what was ingested,
    and the sync scheduler and worker.
    """
    settings = settings or Settings.from_env()
    plugins = plugins or load_plugins(settings.plugins)
    owns_db = db is None
    database = db or Database.open(settings.database_url)
    box = SecretBox.from_settings(settings.secret_key, settings.home)
    resolver = Resolver(database, box)
    intake = ingest or HubIngest(
        database, on_commit=resolver.wake, connections=Connections(database, plugins, box)
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await database.require_current_schema()
        await intake.start()
        # The embedded deployment's background work: ID-mapping, and the sync
        # scheduler and worker (pull syncs write through the intake).
        resolving = _Background(resolver.run if workers else None)
        engine = SyncEngine(database, plugins, box, intake=intake, public_url=settings.public_url)
        syncing = BackgroundSync(engine)
        if workers:
            await syncing.start()
        try:
            yield
        finally:
            # Stop sync runs first (their leases are released, so they resume on the next
            # start), flush accepted writes, let ID-mapping finish its batch, and only
            # then close the database they all use.
            try:
                if workers:
                    await syncing.stop()
                await intake.stop()
                await resolving.stop()
            finally:
                if owns_db:
                    await database.close()

    state = State(
        {
            "settings": settings,
            "plugins": plugins,
            "db": database,
            "ingest": intake,
            "secrets": box,
        }
    )
    return Litestar(
        route_handlers=[
            health,
            api_router(),
            *web_handlers(),
            *_configure_plugin_routes(plugins),
        ],
        state=state,
        lifespan=[lifespan],
        dependencies=_configure_dependencies(intake),
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=_configure_openapi(),
        debug=False,
    )


Work = Callable[[asyncio.Event], Awaitable[None]]
STOP_TIMEOUT = 30.0  # seconds a finishing ID-mapping batch gets at shutdown


class _Background:
    """Runs ``work(stop)`` as a task from creation until :meth:`stop`."""

    def __init__(self, work: Work | None) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(work(self._stop), name="junction-worker") if work else None

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(self._task, timeout=STOP_TIMEOUT)
        except TimeoutError:
            log.warning("background work did not stop within %s s; cancelled", STOP_TIMEOUT)


def _configure_dependencies(ingest: HubIngest) -> dict[str, Provide]:
    # Receivers declare `ingest: Ingest` (junction.plugins.receiver) and get the hub's.
    def provide_ingest() -> HubIngest:
        return ingest

    return {"ingest": Provide(provide_ingest, sync_to_thread=False, use_cache=True)}


def _configure_plugin_routes(plugins: Plugins) -> list[Any]:
    return plugins.routes()


def _configure_openapi() -> Any:
    from litestar import Router
    from litestar.openapi import OpenAPIConfig

    # The schema describes every route and its parameters: it needs a token (or a
    # signed-in session) like the API it documents.
    return OpenAPIConfig(
        title="Junction",
        version=junction_version(),
        path="/api/schema",
        openapi_router=Router(path="/api/schema", route_handlers=[], guards=[require_token]),
    )
