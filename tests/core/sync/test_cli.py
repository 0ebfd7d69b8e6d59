"""`junction syncs / sync run / runs / deadletters`, run as users run them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from junction.admin.cli import cli
from junction.core.db import Database
from junction.core.secrets import SecretBox, generate_key

from .world import add_people, compute, make_segment


def junction(*args: str) -> Result:
    # Errors stay in the result, as `junction` (main) turns them into a message and exit 1.
    return CliRunner().invoke(cli, list(args))


async def run_cli(*args: str) -> Result:
    # The CLI starts its own event loop, which can't nest inside the test's.
    return await asyncio.to_thread(junction, *args)


async def test_define_run_inspect_and_replay(
    db: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = generate_key()
    for name, value in {
        "JUNCTION_HOME": str(tmp_path),
        "JUNCTION_DATABASE_URL": database_url,
        "JUNCTION_SECRET_KEY": key,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("JUNCTION_PLUGINS", "http,webhook,file_export")
    monkeypatch.setenv("COLUMNS", "200")
    people = await add_people(db, SecretBox.from_settings(key, tmp_path), 5)
    await make_segment(db)
    await compute(db)

    added = await run_cli(
        "connections", "add", "files", "--plugin", "file_export", "--set", "folder=out"
    )
    assert added.exit_code == 0, added.output
    refused = await run_cli(
        "syncs", "add", "bad", "--segment", "vips", "--to", "files", "--identifier", "idfa"
    )
    assert refused.exit_code != 0
    assert "can't take identifier 'idfa'" in str(refused.exception or refused.output)
    for name, kind in (("vips-out", "email"), ("vips-phones", "phone")):
        result = await run_cli(
            "syncs", "add", name, "--segment", "vips", "--to", "files", "--identifier", kind
        )
        assert result.exit_code == 0, result.output
    listed = await run_cli("syncs", "list")
    assert "vips-out" in listed.output and "manual" in listed.output

    ran = await run_cli("sync", "run", "vips-out")
    assert ran.exit_code == 0, ran.output
    assert "succeeded" in ran.output and "accepted" in ran.output
    files = list((tmp_path / "exports" / "out" / "vips").glob("add-*.csv"))
    assert len(files) == 1 and len(files[0].read_text().splitlines()) == 1 + len(people)

    # Nobody has a phone: every member is dead-lettered, and the run says so.
    phones = await run_cli("sync", "run", "vips-phones")
    assert phones.exit_code == 0 and "partial" in phones.output
    letters = await run_cli("deadletters", "list", "--sync", "vips-phones")
    assert letters.output.count("unprepared") == len(people)
    replay = await run_cli("deadletters", "replay", "vips-phones")
    assert f"Replaying {len(people)} dead letters in run 3" in replay.output

    runs = await run_cli("runs", "list")
    assert "vips-out" in runs.output and "queued" in runs.output
    shown = await run_cli("runs", "show", "1")
    assert "Batches" in shown.output and "ok" in shown.output
    # `sync run` takes the run already queued for the sync (the replay) and runs it here.
    again = await run_cli("sync", "run", "vips-phones")
    assert again.exit_code == 0, again.output
    assert "Run 3 of vips-phones" in again.output

    matches = await run_cli("syncs", "matches", "files")
    assert matches.exit_code == 0, matches.output
    assert "Match history of files" in matches.output and "vips-out" in matches.output
    unknown = await run_cli("syncs", "matches", "nope")
    assert unknown.exit_code != 0
    assert "no connection named 'nope'" in str(unknown.exception or unknown.output)

    # A message sync needs a messaging connection: the file export can't send messages.
    message = tmp_path / "welcome.json"
    message.write_text('{"template": {"text": "Hi {{ traits.name }}"}}')
    refused = await run_cli(
        "syncs", "add", "welcome", "--segment", "vips", "--to", "files",
        "--identifier", "email", "--consent", "email", "--message", str(message),
    )  # fmt: skip
    assert refused.exit_code != 0
    assert "can't send messages" in str(refused.exception or refused.output)
    message.write_text("{not json")
    broken = await run_cli(
        "syncs", "add", "welcome", "--segment", "vips", "--to", "files", "--message", str(message)
    )
    assert broken.exit_code == 2 and "not JSON" in broken.output
