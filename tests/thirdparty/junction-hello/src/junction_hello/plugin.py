"""The hooks junction-hello implements; registered through the ``hello`` entry point."""

from __future__ import annotations

from typing import Any

import click
from litestar import get

from junction.plugins import Connector, hookimpl
from junction_hello import __version__
from junction_hello.connector import HelloWebhook


@hookimpl
def register_connectors() -> list[type[Connector[Any]]]:
    return [HelloWebhook]


@get("/hooks/hello/ping")
async def ping() -> dict[str, str]:
    """Lets Hello's dashboard verify that a Junction hub runs this plugin."""
    return {"plugin": "hello"}


@hookimpl
def register_routes() -> list[Any]:
    return [ping]


@click.command("hello")
def hello_command() -> None:
    """Show what the junction-hello plugin provides."""
    click.echo(f"junction-hello {__version__}: connector {HelloWebhook.spec.name}")


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(hello_command)
