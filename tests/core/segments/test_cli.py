"""`junction segments ...`, run as users run it against a fresh home folder."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from junction.admin.cli import cli
from junction.core.db import Database
from junction.core.settings import Settings

from .world import Person, insert_people


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUNCTION_HOME", str(tmp_path))
    for name in ("JUNCTION_DATABASE_URL", "JUNCTION_SECRET_KEY", "JUNCTION_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def junction(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


async def _people() -> None:
    db = Database.open(Settings.from_env().database_url)
    try:
        await insert_people(db, [Person(tags=["vip"]), Person(tags=["vip"]), Person()])
    finally:
        await db.close()


def test_preview_create_list_compute(home: Path) -> None:
    assert junction("migrate").exit_code == 0
    asyncio.run(_people())
    definition = home / "vips.json"
    definition.write_text(json.dumps({"type": "tag", "tag": "vip"}))

    shown = junction("segments", "preview", str(definition))
    assert shown.exit_code == 0, shown.output
    assert "2 profiles match" in shown.output

    assert junction("segments", "create", "vips", str(definition), "--holdout", "10").exit_code == 0
    listed = junction("segments", "list")
    assert "vips" in listed.output and "never" in listed.output and "holdout 10" in listed.output

    computed = junction("segments", "compute", "vips")
    assert computed.exit_code == 0, computed.output
    assert "2 members" in computed.output and "+2" in computed.output
    assert "+2 / -0" in junction("segments", "list").output


def test_a_bad_definition_names_the_problem(home: Path) -> None:
    assert junction("migrate").exit_code == 0
    definition = home / "bad.json"
    definition.write_text(json.dumps({"type": "all", "conditions": [{"type": "tag"}]}))
    result = CliRunner().invoke(cli, ["segments", "preview", str(definition)])
    assert result.exit_code == 1
    assert "conditions[0]" in result.output and "tag" in result.output
