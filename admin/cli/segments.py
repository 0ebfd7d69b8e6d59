"""``junction segments``: preview, create, list and compute audiences."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from junction.admin.cli.app import Hub, cli, pass_hub, run
from junction.core.db import Database
from junction.core.errors import ConfigError
from junction.core.model import ModelError
from junction.core.secrets import SecretBox
from junction.core.segments import (
    HOLDOUT,
    Preview,
    SegmentRunView,
    Split,
    apply_tag_rules,
    compute_segment,
    create_segment,
    decode_condition,
    list_segments,
    preview,
)
from junction.core.traits import recompute_traits

T = TypeVar("T")
CLI_ACTOR = "cli:" + (os.environ.get("USER") or "unknown")


def _with_db(hub: Hub, work: Callable[[Database], Awaitable[T]]) -> T:
    async def _run() -> T:
        db = hub.open_db()
        try:
            await db.require_current_schema()
            return await work(db)
        finally:
            await db.close()

    return run(_run())


def _read_condition(path: Path) -> Any:
    try:
        return decode_condition(path.read_bytes())
    except ModelError as exc:
        raise click.ClickException(f"{path}: {exc}") from None


def _box(hub: Hub) -> SecretBox | None:
    try:
        return hub.secrets
    except ConfigError:
        return None  # no key configured: PII shows as *** in the sample


@cli.group()
def segments() -> None:
    """Audiences: preview a definition, create, list and compute segments."""


@segments.command("preview")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sample", default=10, show_default=True, help="Members to show (0-100).")
@pass_hub
def segments_preview(hub: Hub, file: Path, sample: int) -> None:
    """Count the members of the definition in FILE (JSON) and show a masked sample.

    Nothing is saved. See docs/segments.md for the definition language.
    """
    condition = _read_condition(file)
    box = _box(hub)
    result: Preview = _with_db(hub, lambda db: preview(db, condition, sample_size=sample, box=box))
    console = Console()
    console.print(
        f"[bold]{result.count:,}[/] profiles match "
        f"(as of {result.as_of:%Y-%m-%d %H:%M} UTC, {result.seconds:.2f} s)."
    )
    if result.sample:
        table = Table(title="Sample (identifiers masked)")
        table.add_column("profile", justify="right")
        table.add_column("identifiers")
        for member in result.sample:
            table.add_row(str(member.profile_id), ", ".join(member.identifiers) or "-")
        console.print(table)


@segments.command("create")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--description", default="", help="What the audience is for.")
@click.option(
    "--holdout",
    type=click.IntRange(0, 99),
    default=0,
    help="Percent of members kept out of every destination, to measure uplift.",
)
@pass_hub
def segments_create(hub: Hub, name: str, file: Path, description: str, holdout: int) -> None:
    """Create segment NAME from the definition in FILE (validated; nothing stored if bad)."""
    condition = _read_condition(file)
    splits = (
        [Split(variant=HOLDOUT, weight=holdout), Split(variant="treated", weight=100 - holdout)]
        if holdout
        else []
    )
    try:
        view = _with_db(
            hub,
            lambda db: create_segment(
                db, name, condition, actor=CLI_ACTOR, description=description, splits=splits
            ),
        )
    except ModelError as exc:
        raise click.ClickException(str(exc)) from None
    Console().print(f"Created segment [bold]{view.name}[/] (id {view.id}).")


@segments.command("list")
@pass_hub
def segments_list(hub: Hub) -> None:
    """List segments with their latest computation."""
    views = _with_db(hub, list_segments)
    if not views:
        Console().print("No segments yet: create one with `junction segments create`.")
        return
    table = Table(title="Segments")
    for column in ("name", "members", "last computed", "+ / -", "splits", "definition"):
        table.add_column(column)
    for view in views:
        run_ = view.last_run
        table.add_row(
            view.name,
            f"{run_.members:,}" if run_ else "-",
            f"{run_.as_of:%Y-%m-%d %H:%M}" if run_ else "never",
            f"+{run_.added} / -{run_.removed}" if run_ else "-",
            ", ".join(f"{s.variant} {s.weight}" for s in view.splits) or "-",
            _short(view.condition),
        )
    Console().print(table)


def _short(condition: dict[str, Any], limit: int = 60) -> str:
    text = json.dumps(condition, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


@segments.command("compute")
@click.argument("name")
@click.option(
    "--refresh/--no-refresh",
    default=True,
    show_default=True,
    help="Recompute traits and tag rules first (incremental promotion).",
)
@pass_hub
def segments_compute(hub: Hub, name: str, refresh: bool) -> None:
    """Compute segment NAME now: store the snapshot and what changed since the last run."""

    async def _compute(db: Database) -> SegmentRunView:
        if refresh:
            await recompute_traits(db)
            await apply_tag_rules(db)
        return await compute_segment(db, name, actor=CLI_ACTOR)

    try:
        result = _with_db(hub, _compute)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from None
    seconds = (result.finished_at - result.started_at).total_seconds() if result.finished_at else 0
    Console().print(
        f"Segment [bold]{name}[/] run {result.id}: {result.members:,} members, "
        f"[green]+{result.added:,}[/] [red]-{result.removed:,}[/]"
        + (f", {result.moved:,} moved between variants" if result.moved else "")
        + f" ({seconds:.2f} s)."
    )
