"""The web admin over a real app and database: users of each role, signed-in clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient

from junction.admin.app import create_app
from junction.core import users
from junction.core.db import Database
from junction.core.settings import Settings
from junction.core.users import create_user
from junction.plugins.manager import load_plugins
from tests.admin.web.helpers import PASSWORDS, ROLES, Client, sign_in


@pytest.fixture
def settings(tmp_path: Path, db: Database) -> Settings:
    url = db.engine.url.render_as_string(hide_password=False)
    return Settings.from_env({"JUNCTION_HOME": str(tmp_path), "JUNCTION_DATABASE_URL": url})


@pytest.fixture
async def app(settings: Settings, db: Database) -> Litestar:
    for name, role in ROLES.items():
        await create_user(db, name=name, password=PASSWORDS[name], role=role, actor="test")
    # The app opens its own database: AsyncTestClient serves it from another thread's
    # event loop, and asyncpg connections belong to the loop that made them. Tests talk
    # to the same database through the `db` fixture.
    return create_app(settings, plugins=load_plugins(), workers=False)


@pytest.fixture
async def anonymous(app: Litestar) -> AsyncIterator[Client]:
    async with AsyncTestClient(app) as client:
        yield client


async def _signed_in(app: Litestar, name: str) -> AsyncIterator[Client]:
    async with AsyncTestClient(app) as client:
        response = await sign_in(client, name)
        assert response.status_code == 303, response.text
        yield client


@pytest.fixture
async def admin(app: Litestar) -> AsyncIterator[Client]:
    async for client in _signed_in(app, "ada"):
        yield client


@pytest.fixture
async def editor(app: Litestar) -> AsyncIterator[Client]:
    async for client in _signed_in(app, "eddie"):
        yield client


@pytest.fixture
async def viewer(app: Litestar) -> AsyncIterator[Client]:
    async for client in _signed_in(app, "vera"):
        yield client


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its production cost takes ~0.5 s a hash; these tests hash dozens."""
    monkeypatch.setattr(
        users, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
