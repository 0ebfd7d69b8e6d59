"""``junction demo``: a working hub with a shop's data, for a newcomer's first look."""

from __future__ import annotations

import secrets
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select

from junction.admin.cli.app import Hub, cli, pass_hub, run
from junction.admin.demo_data import (
    ORDER_SOURCE_CONFIG,
    SEGMENTS,
    customers,
    web_events,
    write_order_database,
)
from junction.core import api_tokens, users
from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.migrate import upgrade
from junction.core.db.tables import Connection, Event, Order, Profile
from junction.core.identity import Resolver
from junction.core.ingest import HubIngest
from junction.core.segments import compute_segment, create_segment, decode_condition
from junction.core.sync import (
    SyncCreate,
    SyncEngine,
    SyncKind,
    SyncMode,
    claim,
    create_sync,
    enqueue,
    get_run,
)
from junction.core.traits import recompute_traits
from junction.plugins import Checkpoint, OrderRecord
from junction.plugins.receiver import SourceRef

ACTOR = "cli:demo"
console = Console()


@cli.command()
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing when the hub already has connections (what `./dev serve` uses).",
)
@pass_hub
def demo(hub: Hub, if_empty: bool) -> None:
    """Set up a demo shop on this hub: sources, events, orders, profiles, an admin.

    Creates an SDK source (`web`) with sample web events, a SQLite order database read
    by the `orderdb` source (`shop-db`), resolves everyone into profiles, and prints an
    admin API token and the web admin's login URL, user name and password.
    """
    upgrade(hub.settings.database_url)
    summary = run(_demo(hub, if_empty))
    if summary is None:
        console.print("The hub already has connections; the demo leaves it as it is.")
        return
    table = Table(title="Demo shop ready")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, count in summary["counts"].items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    console.print(f"SDK write key of source [bold]web[/]: {summary['write_key']}")
    console.print(f"Admin API token (shown once): [bold]{summary['token']}[/]")
    settings = hub.settings
    console.print(f"Web admin: http://{settings.host}:{settings.port}/admin/login")
    console.print(f"  user name: [bold]{summary['user']}[/]")
    console.print(f"  password (shown once): [bold]{summary['password']}[/]")
    console.print(
        "Try: junction profiles explain user_id:c10000   "
        "curl -H 'Authorization: Bearer <token>' http://127.0.0.1:8000/api/v1/profiles/1"
    )


async def _demo(hub: Hub, if_empty: bool) -> dict[str, Any] | None:
    db = hub.open_db()
    try:
        async with db.sessions() as session:
            existing = await session.scalar(select(func.count()).select_from(Connection))
        if existing and if_empty:
            return None
        people = customers()
        orders_path = hub.settings.home.resolve() / "demo" / "orders.db"
        write_order_database(orders_path, people)
        service = Connections(db, hub.plugins, hub.secrets)
        web = await service.create(name="web", plugin="http", config={}, actor=ACTOR)
        shop = await service.create(
            name="shop-db",
            plugin="orderdb",
            config={**ORDER_SOURCE_CONFIG, "url": f"sqlite:///{orders_path}"},
            actor=ACTOR,
        )
        intake = HubIngest(db)
        await intake.start()
        try:
            await _send_events(intake, SourceRef(id=web.id, name=web.name, plugin="http"), people)
            await _pull_orders(
                service, intake, SourceRef(id=shop.id, name=shop.name, plugin="orderdb")
            )
        finally:
            await intake.stop()
        with console.status("Resolving identities into profiles..."):
            await Resolver(db, hub.secrets).resolve_all()
        syncs = await _audiences(hub, db, service)
        token, _ = await api_tokens.create_token(db, name="demo-admin", role="admin", actor=ACTOR)
        user, password = await _admin_user(db)
        return {
            "counts": {**await _counts(db), **syncs},
            "write_key": web.created_write_key,
            "token": token,
            "user": user,
            "password": password,
        }
    finally:
        await db.close()


async def _admin_user(db: Database) -> tuple[str, str]:
    """An admin for the web admin, with a random password: (user name, password)."""
    taken = {user.name for user in await users.list_users(db)}
    name = next(
        n for n in ("admin", "demo-admin", f"admin-{secrets.token_hex(3)}") if n not in taken
    )
    password = secrets.token_urlsafe(12)
    await users.create_user(db, name=name, password=password, role="admin", actor=ACTOR)
    return name, password


async def _audiences(hub: Hub, db: Database, service: Connections) -> dict[str, int]:
    """Two segments, computed, each synced once to a file export of hashed identifiers."""
    await service.create(
        name="exports", plugin="file_export", config={"folder": "demo"}, actor=ACTOR
    )
    engine = SyncEngine(db, hub.plugins, hub.secrets)
    sent: dict[str, int] = {}
    with console.status("Computing segments and running their syncs..."):
        await recompute_traits(db)
        for name, definition in SEGMENTS.items():
            # Kept fresh by the hub's scheduler: recomputed hourly, synced ten minutes later.
            await create_segment(
                db, name, decode_condition(definition), actor=ACTOR, schedule="0 * * * *"
            )
            await compute_segment(db, name, actor=ACTOR)
            sync = SyncCreate(
                name=f"{name}-to-file",
                kind=SyncKind.PUSH,
                connection="exports",
                segment=name,
                mode=SyncMode.MIRROR,
                identifiers=["phone", "email"],
                schedule="10 * * * *",
            )
            await create_sync(db, hub.plugins, sync, actor=ACTOR)
            run_id = await enqueue(db, sync.name, trigger="manual", actor=ACTOR)
            await claim(db, engine.worker, engine.lease, run_id=run_id)
            await engine.execute(run_id)
            run = await get_run(db, run_id)  # the run and its batches
            sent[f"members synced: {name}"] = run.run.accepted
    return sent


async def _send_events(intake: HubIngest, source: SourceRef, people: list[Any]) -> None:
    events = web_events(people)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Sending web events", total=len(events))
        for start in range(0, len(events), 500):
            chunk = events[start : start + 500]
            await intake.write_events(source, chunk)
            progress.advance(task, len(chunk))


async def _pull_orders(service: Connections, intake: HubIngest, source: SourceRef) -> None:
    ctx = await service.context(source.name)
    connector = service.plugins.connector("orderdb")()
    batch: list[OrderRecord] = []
    with console.status("Reading the shop's order database..."):
        async for item in connector.read(ctx):
            if isinstance(item, Checkpoint):
                await intake.write_records(source, batch)
                batch = []
            elif isinstance(item, OrderRecord):
                batch.append(item)
        if batch:
            await intake.write_records(source, batch)


async def _counts(db: Database) -> dict[str, int]:
    async with db.sessions() as session:
        return {
            "events": await session.scalar(select(func.count()).select_from(Event)) or 0,
            "orders": await session.scalar(select(func.count()).select_from(Order)) or 0,
            "profiles": await session.scalar(
                select(func.count()).select_from(Profile).where(Profile.merged_into.is_(None))
            )
            or 0,
        }
