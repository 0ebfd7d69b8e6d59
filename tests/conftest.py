"""Shared fixtures: real databases on SQLite and PostgreSQL, created and dropped per test.

Each run migrates one template per backend, then every test gets a fresh copy (a file
copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL), so a test costs
milliseconds, not a migration. With CI=true an unreachable PostgreSQL fails the run;
elsewhere its tests are skipped with a reason.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import asyncpg
import pytest

from junction.core.db import Database
from junction.core.db.migrate import upgrade

PG_ADMIN_DSN = os.environ.get("JUNCTION_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ["sqlite", "postgresql"]


def pg_url(database: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{database}"


async def pg_admin(sql: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def in_thread(function, *args):  # type: ignore[no-untyped-def]
    """Run blocking set-up that starts its own event loop, even from inside a running one.

    Session fixtures may be first requested by an async fixture, where ``asyncio.run``
    (used by alembic's env and by the admin helpers) would refuse to start.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


class PostgresDatabases:
    """Creates uniquely named databases on the test server and drops them again."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.template: str | None = None

    async def create(self, template: str | None = None) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        clause = f" TEMPLATE {template}" if template else ""
        await pg_admin(f"CREATE DATABASE {name}{clause}")
        return name

    async def drop(self, name: str) -> None:
        await pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    try:
        in_thread(asyncio.run, pg_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError) as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_ADMIN_DSN} is unreachable in CI: {exc}")
        return False
    return True


@pytest.fixture(scope="session")
def postgres(postgres_available: bool) -> Iterator[PostgresDatabases]:
    """A factory of throw-away PostgreSQL databases, plus a migrated template."""
    if not postgres_available:
        pytest.skip("PostgreSQL on 127.0.0.1:5432 is not reachable (CI=true makes this fail)")
    databases = PostgresDatabases(prefix=f"junction_test_{os.getpid()}")
    template = in_thread(asyncio.run, databases.create())
    in_thread(upgrade, pg_url(template))
    databases.template = template
    yield databases
    in_thread(asyncio.run, databases.drop(template))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "junction.db"
    in_thread(upgrade, f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Parametrizes a test over SQLite and PostgreSQL."""
    return str(request.param)


@pytest.fixture
async def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """The URL of a fresh, migrated database of the test's backend; dropped afterwards."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "junction.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    name = await databases.create(template=databases.template)
    try:
        yield pg_url(name)
    finally:
        await databases.drop(name)


@pytest.fixture
async def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """Like ``database_url`` but without any migration applied."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    databases: PostgresDatabases = request.getfixturevalue("postgres")
    name = await databases.create()
    try:
        yield pg_url(name)
    finally:
        await databases.drop(name)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """An open :class:`Database` on a fresh, migrated database."""
    database = Database.open(database_url)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def fresh_database(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[], AbstractContextManager[str]]:
    """A factory of fresh migrated databases, for tests that need several (hypothesis)."""
    counter = iter(range(1_000_000))

    @contextmanager
    def make() -> Iterator[str]:
        if backend == "sqlite":
            path = tmp_path / f"fresh-{next(counter)}.db"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            try:
                yield f"sqlite+aiosqlite:///{path}"
            finally:
                path.unlink()
            return
        databases: PostgresDatabases = request.getfixturevalue("postgres")
        name = in_thread(asyncio.run, databases.create(template=databases.template))
        try:
            yield pg_url(name)
        finally:
            in_thread(asyncio.run, databases.drop(name))

    return make
