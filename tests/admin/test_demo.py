"""`junction demo`: a newcomer's hub, set up once, with profiles made from real intake."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from junction.admin.cli import cli


def db_rows(home: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "junction.db") as db:
        return db.execute(sql).fetchall()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUNCTION_HOME", str(tmp_path))
    for name in ("JUNCTION_DATABASE_URL", "JUNCTION_SECRET_KEY", "JUNCTION_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_demo_sets_up_a_shop_once(home: Path) -> None:
    first = CliRunner().invoke(cli, ["demo"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "Admin API token (shown once): jt_" in first.output
    with sqlite3.connect(home / "junction.db") as db:
        sources = dict(db.execute("SELECT name, plugin FROM connections"))
        profiles = db.execute("SELECT count(*) FROM profiles WHERE merged_into IS NULL").fetchone()
        orders = db.execute("SELECT count(*), count(profile_id) FROM orders").fetchone()
        pending = db.execute("SELECT count(*) FROM events WHERE resolution = 0").fetchone()
        phones = db.execute("SELECT value FROM identities WHERE type = 'phone'").fetchall()
    assert sources == {"web": "http", "shop-db": "orderdb", "exports": "file_export"}
    assert profiles == (300,)  # web visitors and order-database buyers are the same people
    assert orders[0] > 0 and orders[0] == orders[1]  # every order joined its buyer
    assert pending == (0,)
    assert all(len(value) == 64 for (value,) in phones)  # stored hashed
    runs = dict(
        db_rows(home, "SELECT s.name, r.status FROM sync_runs r JOIN syncs s ON s.id = r.sync_id")
    )
    assert runs == {"new-no-order-to-file": "succeeded", "buyers-ads-ok-to-file": "succeeded"}
    exported = list((home / "exports" / "demo").rglob("*.csv"))
    assert exported, "the syncs wrote their audiences to files"

    again = CliRunner().invoke(cli, ["demo", "--if-empty"], catch_exceptions=False)
    assert again.exit_code == 0
    assert "leaves it as it is" in again.output
