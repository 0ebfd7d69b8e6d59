"""The ``file_export`` destination: the conformance kit in one call, then its files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from junction.destinations.file_export import FileExport, FileExportConfig
from junction.plugins import (
    Audience,
    AudienceRequest,
    ConnectorContext,
    Member,
    PreparedIdentifier,
    RecordStatus,
    ReplaceSession,
)
from junction.plugins.testing import ConformanceCase, conformance_suite

DIGEST = "a" * 64


def member(key: str, value: str = DIGEST) -> Member:
    identifier = PreparedIdentifier(type="email", value=value, platform_key="email_sha256")
    return Member(key=key, identifiers=(identifier,))


MEMBERS = (member("k1"), member("k2", "b" * 64))


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUNCTION_HOME", str(tmp_path))
    return tmp_path


TestFileExportConformance = conformance_suite(
    ConformanceCase(connector=FileExport, valid_config={"folder": "ads"}, sample_members=MEMBERS)
)


def context(fmt: str = "csv") -> ConnectorContext[FileExportConfig]:
    return ConnectorContext(connection="files", config=FileExportConfig(folder="ads", format=fmt))


async def test_batches_become_files_named_by_their_keys(home: Path) -> None:
    export, ctx = FileExport(), context()
    audience = await export.ensure_audience(ctx, AudienceRequest(name="VIP buyers / 2026"))
    assert audience.id == "VIP-buyers-2026"
    result = await export.add(ctx, audience, MEMBERS)
    assert {r.status for r in result.results} == {RecordStatus.ACCEPTED}
    files = sorted((home / "exports" / "ads" / audience.id).glob("add-*.csv"))
    assert len(files) == 1
    rows = list(csv.reader(files[0].read_text().splitlines()))
    assert rows == [
        ["key", "action", "identifier", "value"],
        ["k1", "add", "email_sha256", DIGEST],
        ["k2", "add", "email_sha256", "b" * 64],
    ]
    # The same batch again (a retry) rewrites the same file: idempotent.
    await export.add(ctx, audience, MEMBERS)
    assert sorted((home / "exports" / "ads" / audience.id).glob("add-*.csv")) == files
    await export.remove(ctx, audience, MEMBERS[:1])
    assert len(list((home / "exports" / "ads" / audience.id).glob("remove-*.csv"))) == 1


async def test_a_replacement_swaps_members_file_at_the_last_batch(home: Path) -> None:
    export, ctx = FileExport(), context("jsonl")
    audience = await export.ensure_audience(ctx, AudienceRequest(name="vips"))
    target = home / "exports" / "ads" / "vips" / "members.jsonl"
    await export.replace(ctx, audience, MEMBERS[:1], ReplaceSession(id="s1", seq=1, last=False))
    assert not target.exists()
    await export.replace(ctx, audience, MEMBERS[1:], ReplaceSession(id="s1", seq=2, last=True))
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["key"] for line in lines] == ["k1", "k2"]
    assert not list((home / "exports" / "ads" / "vips").glob(".replace-*"))


async def test_an_unsafe_audience_id_is_refused() -> None:
    from junction.plugins import ConfigInvalid

    with pytest.raises(ConfigInvalid, match="not a safe folder name"):
        await FileExport().add(context(), Audience(id="../../etc", name="x"), MEMBERS)


async def test_check_reports_an_unwritable_folder(home: Path) -> None:
    (home / "exports").write_text("not a folder")
    result = await FileExport().check(context())
    assert not result.ok and "can't write" in result.message
