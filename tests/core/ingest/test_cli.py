"""`junction connections add` shows a source's write key once; `rotate-key` replaces it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from junction.admin.cli import cli
from junction.core.db import Database
from junction.core.errors import NotFoundError
from junction.core.ingest import WriteKeyAuthenticator

KEY = re.compile(r"^(jk_[A-Za-z0-9_-]{32})$", re.MULTILINE)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUNCTION_HOME", str(tmp_path))
    for name in ("JUNCTION_DATABASE_URL", "JUNCTION_SECRET_KEY", "JUNCTION_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def junction(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


async def accepted(home: Path, key: str) -> bool:
    db = Database.open(f"sqlite+aiosqlite:///{home / 'junction.db'}")
    try:
        return await WriteKeyAuthenticator(db).authenticate(key) is not None
    finally:
        await db.close()


def test_add_prints_the_key_once_and_rotate_key_replaces_it(home: Path) -> None:
    assert junction("migrate").exit_code == 0
    added = junction("connections", "add", "web", "--plugin", "http")
    assert added.exit_code == 0
    (key,) = KEY.findall(added.output)
    assert "shown only this once" in added.output
    listed = junction("connections", "list")
    assert key not in listed.output and key[3:] not in listed.output

    rotated = junction("connections", "rotate-key", "web")
    assert rotated.exit_code == 0
    (new_key,) = KEY.findall(rotated.output)
    assert new_key != key
    assert not asyncio.run(accepted(home, key))
    assert asyncio.run(accepted(home, new_key))


def test_rotate_key_of_an_unknown_connection_fails(home: Path) -> None:
    junction("migrate")
    with pytest.raises(NotFoundError, match="no connection named 'nope'"):
        junction("connections", "rotate-key", "nope")
