"""A real shop database per test on SQLite, PostgreSQL and MariaDB, and helpers to read it.

Each test gets its own database (a file, or ``CREATE DATABASE``), dropped afterwards.
With CI=true an unreachable PostgreSQL or MariaDB fails the run; elsewhere its tests
are skipped with a reason, as tests/conftest.py does for PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncmy
import asyncpg
import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.ext.asyncio import create_async_engine

from junction.core.model import Order
from junction.plugins import Checkpoint, CheckResult, ConnectorContext, OrderRecord, Record
from junction.sources.orderdb import OrderDbConfig, OrderDbSource

PG_ADMIN_DSN = os.environ.get("JUNCTION_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN = os.environ.get("JUNCTION_TEST_MARIADB", "mysql://root@127.0.0.1:3306")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

#: A moment in the shop's local time; rows are stored naive, as most shops store them.
T0 = datetime(2024, 3, 1, 12, 0, 0)

_TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
METADATA = sa.MetaData()
ORDERS = sa.Table(
    "orders",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("total", sa.Numeric(12, 2), nullable=False),
    sa.Column("currency", sa.String(3)),
    sa.Column("customer_id", sa.String(64)),
    sa.Column("mobile", sa.String(32)),
    sa.Column("email", sa.String(128)),
    sa.Column("channel", sa.String(32)),
    sa.Column("lines", sa.Text),
    sa.Column("deleted_at", _TIMESTAMP),
    sa.Column("created_at", _TIMESTAMP, nullable=False),
    sa.Column("updated_at", _TIMESTAMP, nullable=False),
)
ORDER_ITEMS = sa.Table(
    "order_items",
    METADATA,
    sa.Column("line_id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.Integer, nullable=False),
    sa.Column("sku", sa.String(32), nullable=False),
    sa.Column("title", sa.String(64)),
    sa.Column("qty", sa.Integer),
    sa.Column("price", sa.Numeric(12, 2)),
)
CUSTOMERS = sa.Table(
    "customers",
    METADATA,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("tier", sa.String(16), nullable=False),
)


def base_config(url: str) -> dict[str, Any]:
    """The connection config of the shop schema above, as an admin would store it."""
    return {
        "url": url,
        "table": "orders",
        "columns": {
            "order_id": "id",
            "status": "status",
            "amount": "total",
            "currency": "currency",
            "created_at": "created_at",
            "updated_at": "updated_at",
        },
        "identifiers": {"user_id": "customer_id", "phone": "mobile", "email": "email"},
        "lookback_minutes": 0,
        "batch_size": 100,
    }


def order_row(n: int, *, updated: datetime | None = None, **values: Any) -> dict[str, Any]:
    """Order ``n`` of customer ``c<n>``, changed ``n`` minutes after T0 unless told."""
    when = updated or T0 + timedelta(minutes=n)
    row: dict[str, Any] = {
        "id": n,
        "status": "paid",
        "total": "19.99",
        "currency": "CNY",
        "customer_id": f"c{n}",
        "mobile": f"+86138000000{n:02d}",
        "email": f"buyer{n}@example.com",
        "channel": "web",
        "lines": None,
        "deleted_at": None,
        "created_at": when - timedelta(hours=1),
        "updated_at": when,
    }
    return {**row, **values}


@dataclass
class Shop:
    """One throw-away shop database: written through ``engine``, read by the source."""

    dialect: str
    url: str
    admin_url: str
    engine: Any = field(init=False)

    def __post_init__(self) -> None:
        self.engine = create_async_engine(self.admin_url)

    async def create(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)

    async def insert(self, table: sa.Table, *rows: dict[str, Any]) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(table.insert(), list(rows))

    async def add(self, *rows: dict[str, Any]) -> None:
        await self.insert(ORDERS, *rows)

    async def update(self, order_id: int, **values: Any) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(ORDERS.update().where(ORDERS.c.id == order_id).values(**values))

    async def count(self) -> int:
        async with self.engine.connect() as conn:
            return int(
                (await conn.execute(sa.select(sa.func.count()).select_from(ORDERS))).scalar()
            )

    def raw_config(self, **overrides: Any) -> dict[str, Any]:
        """The base config of this shop with ``overrides`` (top-level fields)."""
        return {**base_config(self.url), **overrides}

    def config(self, **overrides: Any) -> OrderDbConfig:
        return msgspec.convert(self.raw_config(**overrides), type=OrderDbConfig)

    async def read(
        self,
        config: OrderDbConfig | None = None,
        state: dict[str, Any] | None = None,
        *,
        checkpoints: int | None = None,
        into: list[Record | Checkpoint] | None = None,
    ) -> list[Record | Checkpoint]:
        """What one read yields, stopping after ``checkpoints`` checkpoints if given.

        ``into`` collects the items as they come, to see them when the read raises.
        """
        ctx = ConnectorContext(connection="shop", config=config or self.config(), state=state)
        items: list[Record | Checkpoint] = [] if into is None else into
        async with contextlib.aclosing(OrderDbSource().read(ctx)) as stream:
            async for item in stream:
                items.append(item)
                if isinstance(item, Checkpoint) and checkpoints is not None:
                    checkpoints -= 1
                    if checkpoints == 0:
                        break
        return items

    async def check(self, config: OrderDbConfig | None = None) -> CheckResult:
        ctx = ConnectorContext(connection="shop", config=config or self.config())
        return await OrderDbSource().check(ctx)

    # Helpers on the class: test modules can't import conftest under importlib mode.
    row = staticmethod(order_row)
    tables = METADATA.tables

    @staticmethod
    def orders(items: list[Record | Checkpoint]) -> list[Order]:
        """The orders among ``items``, in order."""
        return [item.order for item in items if isinstance(item, OrderRecord)]

    @staticmethod
    def ids(items: list[Record | Checkpoint]) -> list[str]:
        return [item.order.order_id for item in items if isinstance(item, OrderRecord)]

    @staticmethod
    def states(items: list[Record | Checkpoint]) -> list[dict[str, Any]]:
        return [item.state for item in items if isinstance(item, Checkpoint)]


# --- Servers -----------------------------------------------------------------------


async def _mariadb_admin(sql: str) -> None:
    url = sa.engine.make_url(MARIADB_ADMIN)
    conn = await asyncmy.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        connect_timeout=5,
    )
    try:
        async with conn.cursor() as cursor:
            await cursor.execute(sql)
    finally:
        conn.close()


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _reachable(name: str, where: str, probe: Any) -> bool:
    try:
        # In a thread: an async fixture may be the first to ask, inside a running loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, probe("SELECT 1")).result()
    except (OSError, asyncpg.PostgresError, asyncmy.errors.Error) as exc:
        if IN_CI:
            pytest.fail(f"{name} at {where} is unreachable in CI: {exc}")
        return False
    return True


@pytest.fixture(scope="session")
def mariadb_available() -> bool:
    return _reachable("MariaDB", MARIADB_ADMIN, _mariadb_admin)


@pytest.fixture(scope="session")
def pg_available() -> bool:
    return _reachable("PostgreSQL", PG_ADMIN_DSN, _pg_admin)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def dialect(request: pytest.FixtureRequest) -> str:
    """Parametrizes a test over the three databases the source supports."""
    return str(request.param)


@pytest.fixture
async def shop(dialect: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Shop]:
    """A fresh shop database with the tables above, empty, on the test's dialect."""
    name = f"junction_orderdb_{uuid.uuid4().hex[:12]}"
    drop: Any = None
    if dialect == "sqlite":
        path = tmp_path / "shop.db"
        made = Shop(dialect, f"sqlite:///{path}", f"sqlite+aiosqlite:///{path}")
    elif dialect == "postgresql":
        if not request.getfixturevalue("pg_available"):
            pytest.skip(f"PostgreSQL at {PG_ADMIN_DSN} is unreachable (CI=true makes this fail)")
        await _pg_admin(f"CREATE DATABASE {name}")
        base = PG_ADMIN_DSN.rsplit("/", 1)[0]
        made = Shop(dialect, f"{base}/{name}", f"{base.replace('://', '+asyncpg://', 1)}/{name}")
        drop = _pg_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    else:
        if not request.getfixturevalue("mariadb_available"):
            pytest.skip(f"MariaDB at {MARIADB_ADMIN} is unreachable (CI=true makes this fail)")
        await _mariadb_admin(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
        base = MARIADB_ADMIN.rstrip("/")
        made = Shop(dialect, f"{base}/{name}", f"{base.replace('://', '+asyncmy://', 1)}/{name}")
        drop = _mariadb_admin, f"DROP DATABASE IF EXISTS {name}"
    try:
        await made.create()
        yield made
    finally:
        await made.engine.dispose()
        if drop is not None:
            await drop[0](drop[1])
