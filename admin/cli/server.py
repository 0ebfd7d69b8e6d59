"""``junction serve``, ``junction migrate`` and ``junction secret-key``."""

from __future__ import annotations

import logging

import click
from rich.console import Console

from junction.admin.cli.app import Hub, cli, pass_hub
from junction.core.db.engine import parse_database_url
from junction.core.db.migrate import head_revision, upgrade
from junction.core.redaction import install_log_redaction
from junction.core.secrets import generate_key

console = Console(stderr=True)


def _display_url(database_url: str) -> str:
    return parse_database_url(database_url).render_as_string(hide_password=True)


@cli.command()
@pass_hub
def migrate(hub: Hub) -> None:
    """Upgrade the database schema to the newest revision.

    Safe to run any number of times; it does nothing when the schema is current.
    """
    url = hub.settings.database_url
    console.print(f"Migrating [bold]{_display_url(url)}[/] to revision {head_revision()} ...")
    upgrade(url)
    console.print("[green]Schema is current.[/]")


@cli.command()
@click.option("--host", help="Address to bind (default: JUNCTION_HOST, 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default: JUNCTION_PORT, 8000).")
@click.option(
    "--migrate/--no-migrate",
    "run_migrations",
    default=True,
    show_default=True,
    help="Upgrade the schema before starting.",
)
@pass_hub
def serve(hub: Hub, host: str | None, port: int | None, run_migrations: bool) -> None:
    """Run the hub: API, ingestion and admin over HTTP.

    With no configuration this is the embedded deployment: SQLite under ./var.
    """
    import uvicorn

    from junction.admin.app import create_app

    settings = hub.settings
    if run_migrations:
        upgrade(settings.database_url)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(levelname)s %(name)s %(message)s"
    )
    install_log_redaction()
    app = create_app(settings, plugins=hub.plugins)
    bind_host, bind_port = host or settings.host, port or settings.port
    console.print(f"Junction on [bold]http://{bind_host}:{bind_port}[/]", soft_wrap=True)
    console.print(f"  database   {_display_url(settings.database_url)}", soft_wrap=True)
    console.print(f"  secret key {hub.secrets.key_id}", soft_wrap=True)
    # One line per request costs more than ingesting the request's events: access logs
    # only when debugging.
    uvicorn.run(
        app,
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level,
        access_log=settings.log_level == "debug",
    )


@cli.group("secret-key")
def secret_key() -> None:
    """Manage the key that encrypts connection secrets."""


@secret_key.command("generate")
def secret_key_generate() -> None:
    """Print a new random key for JUNCTION_SECRET_KEY.

    To rotate, set JUNCTION_SECRET_KEY to "NEW,OLD": new secrets use NEW, old ones
    still open with OLD.
    """
    click.echo(generate_key())
