"""The litestar application: ``create_app()`` wires small ``_configure_*`` steps."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import State
from sqlalchemy import text

from junction.admin.errors import EXCEPTION_HANDLERS, error_response
from junction.core.db import Database
from junction.core.secrets import SecretBox
from junction.core.settings import Settings
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
) -> Litestar:
    """Build the hub's HTTP application.

    The app owns (opens and closes) the database unless one is passed in, and refuses
    to start against a schema that isn't migrated to this version's head.
    """
    settings = settings or Settings.from_env()
    plugins = plugins or load_plugins(settings.plugins)
    owns_db = db is None
    database = db or Database.open(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await database.require_current_schema()
        try:
            yield
        finally:
            if owns_db:
                await database.close()

    state = State(
        {
            "settings": settings,
            "plugins": plugins,
            "db": database,
            "secrets": SecretBox.from_settings(settings.secret_key, settings.home),
        }
    )
    return Litestar(
        route_handlers=[health, *_configure_plugin_routes(plugins)],
        state=state,
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=_configure_openapi(),
        debug=False,
    )


def _configure_plugin_routes(plugins: Plugins) -> list[Any]:
    return plugins.routes()


def _configure_openapi() -> Any:
    from litestar.openapi import OpenAPIConfig

    return OpenAPIConfig(title="Junction", version=junction_version(), path="/api/schema")
