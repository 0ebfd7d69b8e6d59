"""The ``file_export`` connector: each batch one file, named by its content's keys.

A batch sent again (a retry, a resumed run) has the same keys and so the same file
name: it overwrites its first copy instead of adding a second, which makes adds and
removes idempotent. A replacement writes its batches as parts and, with the last one,
swaps ``members.<format>`` for their concatenation.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal, TypeAlias

import msgspec
from msgspec import Meta

from junction.destinations.file_export.files import (
    audience_folder_name,
    concatenate,
    render,
    write_atomic,
)
from junction.plugins import (
    Audience,
    AudienceDestination,
    AudienceRequest,
    BatchResult,
    Capability,
    CheckResult,
    ConfigInvalid,
    ConnectorContext,
    ConnectorSpec,
    Hashing,
    IdentifierRule,
    Kind,
    Limits,
    Member,
    ReplaceSession,
    Retryable,
)

__all__ = ["FileExport", "FileExportConfig", "export_root"]


class FileExportConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    """Which folder under the hub's exports to write, and in what format."""

    folder: Annotated[
        str,
        Meta(
            title="Folder",
            description="A folder name under $JUNCTION_HOME/exports.",
            pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
        ),
    ]
    format: Annotated[
        Literal["csv", "jsonl"],
        Meta(title="Format", description="csv: one row per identifier; jsonl: one per member."),
    ] = "csv"


Ctx: TypeAlias = ConnectorContext[FileExportConfig]


def export_root() -> Path:
    """``$JUNCTION_HOME/exports`` (``./var/exports`` when JUNCTION_HOME is unset)."""
    return Path(os.environ.get("JUNCTION_HOME") or "./var").expanduser() / "exports"


class FileExport(AudienceDestination[FileExportConfig]):
    """Writes audience changes as files of hashed identifiers."""

    spec = ConnectorSpec(
        name="file_export",
        kind=Kind.DESTINATION,
        title="File export",
        description=(
            "Write audiences as CSV or JSONL files of SHA-256 hashed e-mails and phones "
            "into a folder under JUNCTION_HOME/exports, for tools that import files."
        ),
        config=FileExportConfig,
        capabilities=frozenset({Capability.AUDIENCE, Capability.AUDIENCE_REPLACE}),
        accepts=(
            IdentifierRule(type="email", hashing=Hashing.SHA256, platform_key="email_sha256"),
            IdentifierRule(type="phone", hashing=Hashing.SHA256, platform_key="phone_sha256"),
            IdentifierRule(type="user_id", platform_key="user_id"),
        ),
        limits=Limits(max_batch_records=50_000),
        idempotent=True,
    )

    async def check(self, ctx: Ctx) -> CheckResult:
        folder = _folder(ctx)
        try:
            await asyncio.to_thread(write_atomic, folder / ".junction-check", b"ok\n")
            await asyncio.to_thread((folder / ".junction-check").unlink)
        except OSError as exc:
            return CheckResult(ok=False, message=f"can't write to {folder}: {exc.strerror}")
        return CheckResult(ok=True, message=f"{folder} is writable.")

    async def ensure_audience(self, ctx: Ctx, request: AudienceRequest) -> Audience:
        audience_id = request.existing_id or audience_folder_name(request.name)
        await asyncio.to_thread(_mkdir, _folder(ctx) / audience_id)
        return Audience(id=audience_id, name=request.name)

    async def add(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        return await self._write(ctx, audience, "add", members)

    async def remove(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        return await self._write(ctx, audience, "remove", members)

    async def replace(
        self, ctx: Ctx, audience: Audience, members: Sequence[Member], session: ReplaceSession
    ) -> BatchResult:
        fmt = ctx.config.format
        base = _audience_folder(ctx, audience)
        parts = base / f".replace-{audience_folder_name(session.id)}"
        content = render(fmt, "member", _rows(members))
        try:
            await asyncio.to_thread(write_atomic, parts / f"{session.seq:08d}.{fmt}", content)
            if session.last:
                await asyncio.to_thread(_finish_replace, parts, base / f"members.{fmt}", fmt)
        except OSError as exc:
            raise Retryable(f"writing {base} failed: {exc.strerror}") from exc
        return BatchResult.all_accepted(m.key for m in members)

    async def _write(
        self, ctx: Ctx, audience: Audience, action: str, members: Sequence[Member]
    ) -> BatchResult:
        fmt = ctx.config.format
        digest = hashlib.sha256("\n".join(m.key for m in members).encode()).hexdigest()[:16]
        path = _audience_folder(ctx, audience) / f"{action}-{digest}.{fmt}"
        try:
            await asyncio.to_thread(write_atomic, path, render(fmt, action, _rows(members)))
        except OSError as exc:
            # A full disk or a permissions change may pass; the write is idempotent.
            raise Retryable(f"writing {path.name} failed: {exc.strerror}") from exc
        return BatchResult.all_accepted((m.key for m in members), received=len(members))


def _rows(members: Sequence[Member]) -> list[dict[str, object]]:
    return [
        {
            "key": member.key,
            "identifiers": [
                {"type": i.platform_key or i.type, "value": i.value} for i in member.identifiers
            ],
        }
        for member in members
    ]


def _folder(ctx: Ctx) -> Path:
    return export_root() / ctx.config.folder


def _audience_folder(ctx: Ctx, audience: Audience) -> Path:
    name = audience_folder_name(audience.id)
    if name != audience.id:
        raise ConfigInvalid(f"audience id {audience.id!r} is not a safe folder name")
    return _folder(ctx) / name


def _mkdir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)


def _finish_replace(parts: Path, target: Path, fmt: str) -> None:
    concatenate(sorted(parts.glob(f"*.{fmt}")), target, fmt)
    shutil.rmtree(parts, ignore_errors=True)
