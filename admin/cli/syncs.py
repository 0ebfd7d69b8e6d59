"""``junction syncs``, ``sync run``, ``runs``, ``deadletters`` and ``worker``."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import IO, Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select

from junction.admin.cli.app import Hub, cli, pass_hub, run
from junction.core.db import Database
from junction.core.db.tables import Sync, SyncRun
from junction.core.errors import ConfigError
from junction.core.identity import Resolver
from junction.core.ingest import HubIngest
from junction.core.redaction import install_log_redaction
from junction.core.sync import (
    BackgroundSync,
    RunView,
    SyncBusy,
    SyncEngine,
    claim,
    create_sync,
    enqueue,
    get_run,
    list_dead_letters,
    list_runs,
    list_syncs,
    match_history,
    replay_dead_letters,
)
from junction.core.sync.store import decode_definition

CLI_ACTOR = "cli:" + (os.environ.get("USER") or "unknown")
T = TypeVar("T")


class _Console:
    """Prints through a Console made when printing, so it sees the terminal's width then."""

    def print(self, *objects: Any, **options: Any) -> None:
        Console().print(*objects, **options)


console = _Console()


@asynccontextmanager
async def _engine(hub: Hub, **kwargs: Any) -> AsyncIterator[SyncEngine]:
    """An engine on a migrated database, with the intake pull syncs write through."""
    db = Database.open(hub.settings.database_url)
    intake = HubIngest(db)
    try:
        await db.require_current_schema()
        await intake.start()
        kwargs.setdefault("public_url", hub.settings.public_url)
        yield SyncEngine(db, hub.plugins, hub.secrets, intake=intake, **kwargs)
    finally:
        await intake.stop()
        await db.close()


def _with_db(hub: Hub, action: Callable[[Database], Awaitable[T]]) -> T:
    async def _run() -> T:
        db = hub.open_db()
        try:
            await db.require_current_schema()
            return await action(db)
        finally:
            await db.close()

    return run(_run())


@cli.group()
def syncs() -> None:
    """Define pull syncs (source → hub) and push syncs (segment → destination)."""


@syncs.command("list")
@pass_hub
def syncs_list(hub: Hub) -> None:
    """List syncs with their schedule and mode."""
    rows = _with_db(hub, list_syncs)
    table = Table(title="Syncs")
    for column in ("name", "kind", "from", "to", "mode", "identifiers", "schedule", "enabled"):
        table.add_column(column)
    for s in rows:
        source, target = (s.connection, "hub") if s.kind == "pull" else (s.segment, s.connection)
        table.add_row(
            s.name,
            s.kind,
            source or "-",
            target or "-",
            s.mode or "-",
            ", ".join(s.identifiers) or "-",
            s.schedule or "manual",
            "yes" if s.enabled else "no",
        )
    console.print(table if rows else "No syncs yet: add one with `junction syncs add`.")


@syncs.command("add")
@click.argument("name")
@click.option("--segment", help="Push: the segment to send.")
@click.option("--to", "destination", help="Push: the destination connection.")
@click.option("--from", "source", help="Pull: the source connection.")
@click.option("--mode", type=click.Choice(["mirror", "add_only", "replace"]), default=None)
@click.option("--identifier", "identifiers", multiple=True, help="Push: identifier type to send.")
@click.option("--consent", help="Push: consent purpose members must have granted.")
@click.option("--schedule", help="Cron expression (UTC); leave out for manual runs only.")
@click.option("--batch-size", type=int, help="Push: records per call (default: the limit).")
@click.option(
    "--message",
    "message_file",
    type=click.File("rb"),
    help="Message sync: a JSON file with the message (see docs/messaging.md); "
    "people entering --segment get it through --to.",
)
@click.option("--notify", help="A connection (WeCom, Feishu bot) told of failed runs.")
@pass_hub
def syncs_add(
    hub: Hub,
    name: str,
    segment: str | None,
    destination: str | None,
    source: str | None,
    mode: str | None,
    identifiers: tuple[str, ...],
    consent: str | None,
    schedule: str | None,
    batch_size: int | None,
    message_file: IO[bytes] | None,
    notify: str | None,
) -> None:
    """Add sync NAME: `--segment S --to C` (push), `--from C` (pull), or a message sync
    (`--segment S --to C --message FILE`).

    \b
        junction syncs add vips-to-hook --segment vips --to hook --identifier email
        junction syncs add welcome --segment new-signups --to sms --identifier phone \
            --consent sms --message welcome.json --schedule "*/15 * * * *"
    """
    if bool(source) == bool(destination):
        raise click.UsageError("give --to (a push or message sync) or --from (a pull sync)")
    raw: dict[str, Any] = {
        "name": name,
        "kind": "pull" if source else ("message" if message_file else "push"),
        "connection": source or destination,
        "schedule": schedule,
        "notify": notify,
    }
    if destination:
        raw.update(
            segment=segment,
            mode=mode,
            identifiers=list(identifiers),
            consent_purpose=consent,
            batch_size=batch_size,
        )
    if message_file is not None:
        try:
            raw["message"] = json.loads(message_file.read())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--message") from None
    definition = decode_definition({k: v for k, v in raw.items() if v is not None})
    view = _with_db(hub, lambda db: create_sync(db, hub.plugins, definition, actor=CLI_ACTOR))
    console.print(
        f"[green]Added[/] {view.kind} sync [bold]{view.name}[/] ({view.schedule or 'manual'})."
    )


@cli.group("sync")
def sync_group() -> None:
    """Run a sync now."""


@sync_group.command("run")
@click.argument("name")
@pass_hub
def sync_run(hub: Hub, name: str) -> None:
    """Run sync NAME now, here, with a progress bar; then show what it did.

    Refused while the sync is running elsewhere. Exits 1 if the run failed.
    """

    async def _run() -> RunView:
        async with _engine(hub) as engine:
            try:
                run_id = await enqueue(engine.db, name, trigger="manual", actor=CLI_ACTOR)
            except SyncBusy:
                run_id = await _queued_run(engine.db, name)  # run that one here instead
            claimed = None
            if run_id is not None:
                claimed = await claim(engine.db, engine.worker, engine.lease, run_id=run_id)
            if claimed is None:
                raise ConfigError(f"sync {name!r} is running elsewhere: see `junction runs list`")
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=Console(), transient=True) as bar:
                task = bar.add_task(f"{name} (run {claimed})", total=None)

                def progress(run_id: int, done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total or None)

                await engine.execute(claimed, progress)
            return (await get_run(engine.db, claimed)).run

    view = run(_run())
    _summary(view)
    if view.status == "failed":
        raise SystemExit(1)


async def _queued_run(db: Database, name: str) -> int | None:
    async with db.sessions() as session:
        return await session.scalar(
            select(SyncRun.id)
            .join(Sync, Sync.id == SyncRun.sync_id)
            .where(Sync.name == name, SyncRun.status == "queued")
        )


def _summary(view: RunView) -> None:
    colour = {"succeeded": "green", "partial": "yellow", "failed": "red"}.get(view.status, "")
    table = Table(title=f"Run {view.id} of {view.sync}: [{colour}]{view.status}[/]")
    table.add_column("count")
    table.add_column("records", justify="right")
    for field in (
        "planned",
        "sent",
        "accepted",
        "rejected",
        "skipped_consent",
        "skipped_cap",
        "deferred",
        "dead_lettered",
        "unknown",
        "failed",
        "retries",
    ):
        table.add_row(field.replace("_", " "), str(getattr(view, field)))
    console.print(table)
    if view.error:
        console.print(f"[red]Error:[/] {view.error}", markup=True, highlight=False)


@cli.group()
def runs() -> None:
    """Sync runs: what ran, when, and what happened to every record."""


@runs.command("list")
@click.option("--sync", "sync_name", help="Only runs of this sync.")
@click.option("--limit", default=20, show_default=True)
@pass_hub
def runs_list(hub: Hub, sync_name: str | None, limit: int) -> None:
    """List the newest runs."""
    rows = _with_db(hub, lambda db: list_runs(db, sync=sync_name, limit=limit))
    table = Table(title="Runs")
    for column in (
        "id",
        "sync",
        "status",
        "trigger",
        "started",
        "planned",
        "accepted",
        "dead",
        "failed",
        "error",
    ):
        table.add_column(column)
    for r in rows:
        started = r.started_at.strftime("%Y-%m-%d %H:%M:%S") if r.started_at else "-"
        table.add_row(
            str(r.id),
            r.sync,
            r.status,
            r.trigger,
            started,
            str(r.planned),
            str(r.accepted),
            str(r.dead_lettered),
            str(r.failed),
            (r.error or "")[:60],
        )
    console.print(table if rows else "No runs yet.")


@runs.command("show")
@click.argument("run_id", type=int)
@pass_hub
def runs_show(hub: Hub, run_id: int) -> None:
    """Show run RUN_ID with its batches and attempts."""
    detail = _with_db(hub, lambda db: get_run(db, run_id))
    _summary(detail.run)
    table = Table(title="Batches")
    for column in ("seq", "operation", "size", "status", "accepted", "rejected", "attempts"):
        table.add_column(column)
    for b in detail.batches:
        outcomes = ", ".join(a.outcome for a in b.attempts) or "-"
        table.add_row(
            str(b.seq),
            b.operation,
            str(b.size),
            b.status,
            str(b.accepted),
            str(b.rejected),
            outcomes,
        )
    console.print(table)


@syncs.command("matches")
@click.argument("connection")
@click.option("--limit", default=20, show_default=True, help="Newest finished runs shown.")
@pass_hub
def syncs_matches(hub: Hub, connection: str, limit: int) -> None:
    """What destination CONNECTION made of each push run: planned → matched.

    The match rate is matched / received as the platform reports them (or / accepted
    when it reports no receipt count); a falling rate usually means identifiers
    changed shape upstream.
    """
    points = _with_db(hub, lambda db: match_history(db, connection, limit=limit))
    table = Table(title=f"Match history of {connection}")
    for column in ("run", "sync", "finished", "planned", "accepted", "received", "matched"):
        table.add_column(column, justify="left" if column in ("sync", "finished") else "right")
    table.add_column("rate", justify="right")
    for p in points:
        rate = f"{p.match_rate:.1%}" if p.match_rate is not None else "-"
        finished = p.finished_at.strftime("%Y-%m-%d %H:%M") if p.finished_at else "-"
        table.add_row(
            str(p.run),
            p.sync,
            finished,
            str(p.planned),
            str(p.accepted),
            "-" if p.received is None else str(p.received),
            "-" if p.matched is None else str(p.matched),
            rate,
        )
    console.print(table)


@cli.group()
def deadletters() -> None:
    """Records syncs could not deliver."""


@deadletters.command("list")
@click.option("--sync", "sync_name", help="Only dead letters of this sync.")
@click.option("--limit", default=50, show_default=True)
@pass_hub
def deadletters_list(hub: Hub, sync_name: str | None, limit: int) -> None:
    """List dead letters not yet replayed."""
    rows = _with_db(hub, lambda db: list_dead_letters(db, sync=sync_name, limit=limit))
    table = Table(title="Dead letters")
    for column in ("id", "sync", "run", "profile", "action", "kind", "reason"):
        table.add_column(column)
    for d in rows:
        table.add_row(
            str(d.id), d.sync, str(d.run_id), str(d.profile_id), d.action, d.kind, d.reason
        )
    console.print(table if rows else "No dead letters.")


@deadletters.command("replay")
@click.argument("sync_name")
@click.option("--id", "ids", type=int, multiple=True, help="Only these dead letters.")
@pass_hub
def deadletters_replay(hub: Hub, sync_name: str, ids: tuple[int, ...]) -> None:
    """Send SYNC_NAME's dead letters again (queues a run for the workers)."""
    result = _with_db(
        hub,
        lambda db: replay_dead_letters(db, sync_name, actor=CLI_ACTOR, ids=list(ids) or None),
    )
    where = f"run {result.run_id}" if result.run_id else "the run already queued"
    console.print(f"Replaying {result.replayed} dead letters in {where}.")


@cli.command()
@click.option("--concurrency", default=4, show_default=True, help="Runs at once.")
@click.option(
    "--lease",
    default=60.0,
    show_default=True,
    help="Seconds a run is held without a heartbeat before another worker may resume it.",
)
@click.option(
    "--scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="Also queue scheduled runs (any number of schedulers may run).",
)
@pass_hub
def worker(hub: Hub, concurrency: int, lease: float, scheduler: bool) -> None:
    """Run sync runs (and the scheduler) until stopped with Ctrl-C or SIGTERM.

    With the embedded SQLite database, `junction serve` runs the worker itself;
    on PostgreSQL, start any number of these to share the work.
    """

    logging.basicConfig(
        level=hub.settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    install_log_redaction()

    async def _work() -> None:
        async with _engine(hub, lease=lease) as engine:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            background = BackgroundSync(engine, scheduler=scheduler, concurrency=concurrency)
            # Workers also take a share of ID-mapping: what their pull syncs ingest (and
            # what any API process ingested) gets resolved here too.
            resolver = Resolver(engine.db, hub.secrets)
            console.print(f"Worker [bold]{engine.worker}[/] started ({concurrency} at once).")
            await background.start()
            resolving = asyncio.create_task(resolver.run(stop))
            await stop.wait()
            await background.stop()
            await resolving

    run(_work())
