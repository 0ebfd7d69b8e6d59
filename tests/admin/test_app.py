"""The HTTP app: health, one JSON error shape, plugin routes, schema guard."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import pytest
from litestar import get
from litestar.testing import AsyncTestClient

from junction.admin.app import create_app
from junction.core.db import Database
from junction.core.errors import ConfigError
from junction.core.settings import Settings
from junction.plugins import hookimpl
from junction.plugins.manager import load_plugins


@get("/hooks/test/boom", sync_to_thread=False)
def boom() -> None:
    raise RuntimeError("database password is hunter2")


@get("/hooks/test/hello", sync_to_thread=False)
def hello() -> dict[str, str]:
    return {"hello": "world"}


class RoutesPlugin:
    @hookimpl
    def register_routes(self) -> list[Any]:
        return [boom, hello]


def _settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings.from_env(
        {"JUNCTION_HOME": str(tmp_path), "JUNCTION_DATABASE_URL": database_url}
    )


@pytest.fixture
def app(tmp_path: Path, db: Database) -> Any:
    plugins = load_plugins(builtins=[RoutesPlugin()], entry_points=False)
    return create_app(_settings(tmp_path, str(db.engine.url)), plugins=plugins)


async def test_health_reports_the_database(app: Any, backend: str) -> None:
    async with AsyncTestClient(app) as client:
        response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == backend


async def test_unknown_route_gets_the_json_error_shape(app: Any) -> None:
    async with AsyncTestClient(app) as client:
        response = await client.get("/nope")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "Not Found"}
    }


async def test_wrong_method_gets_the_json_error_shape(app: Any) -> None:
    async with AsyncTestClient(app) as client:
        response = await client.post("/health")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_plugin_routes_are_mounted(app: Any) -> None:
    async with AsyncTestClient(app) as client:
        response = await client.get("/hooks/test/hello")
    assert response.json() == {"hello": "world"}


async def test_unexpected_errors_reveal_nothing(app: Any) -> None:
    async with AsyncTestClient(app) as client:
        response = await client.get("/hooks/test/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["error"]["code"] == "internal_server_error"
    assert "hunter2" not in response.text


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_refuses_to_start_on_an_unmigrated_database(tmp_path: Path, backend: str) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'blank.db'}"
    app = create_app(_settings(tmp_path, url), plugins=load_plugins(entry_points=False))
    # litestar's lifespan runs in a task group, which wraps the error in a group.
    with pytest.raises((ConfigError, BaseExceptionGroup)) as caught:
        async with AsyncTestClient(app):
            pass
    assert "run `junction migrate`" in "".join(traceback.format_exception(caught.value))
