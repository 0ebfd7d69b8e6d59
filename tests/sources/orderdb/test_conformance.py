"""The ``orderdb`` source keeps the connector contract, like any third-party plugin.

The kit runs on an SQLite shop made when this module is collected (the case is built
at import, before any fixture), with orders spread over several pages.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from pathlib import Path

from junction.plugins.manager import load_plugins
from junction.plugins.testing import ConformanceCase, conformance_suite
from junction.sources.orderdb import OrderDbSource


def _make_shop() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="junction-orderdb-conformance-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE orders (order_no TEXT PRIMARY KEY, state TEXT, paid NUMERIC, "
            "buyer TEXT, phone TEXT, created TEXT, modified TEXT)"
        )
        db.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    f"SO-{n:04d}",
                    ("PAID", "CLOSED", "REFUND")[n % 3],
                    f"{n}.{n:02d}",
                    f"u{n}",
                    f"+86139{n:08d}",
                    "2024-05-01 08:00:00",
                    # Ties every third row, so pages split them.
                    f"2024-05-01 09:{n // 3:02d}:00",
                )
                for n in range(1, 26)
            ],
        )
    db.close()
    return path


SHOP = _make_shop()
CONFIG = {
    "url": f"sqlite:///{SHOP}",
    "table": "orders",
    "columns": {
        "order_id": "order_no",
        "status": "state",
        "amount": "paid",
        "created_at": "created",
        "updated_at": "modified",
    },
    "currency": "CNY",
    "identifiers": {"user_id": "buyer", "phone": "phone"},
    "status_map": {"PAID": "paid", "CLOSED": "cancelled", "REFUND": "refunded"},
    "timezone": "Asia/Shanghai",
    "batch_size": 4,
}

TestConformance = conformance_suite(
    ConformanceCase(
        connector=OrderDbSource,
        valid_config=CONFIG,
        # SQLite has no passwords: one given is refused cleanly, without echoing it.
        bad_credentials_config={**CONFIG, "password": "wrong-password-1234"},
    )
)


def test_it_is_a_builtin_plugin() -> None:
    plugins = load_plugins(entry_points=False)
    assert plugins.connector("orderdb") is OrderDbSource
    (info,) = [info for info in plugins.catalog() if info.name == "orderdb"]
    assert info.origin.startswith("builtin")
    assert info.capabilities == ("pull",)
