"""``junction plugins``: what is installed."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from junction.admin.cli.app import Hub, cli, pass_hub


@cli.group()
def plugins() -> None:
    """Inspect installed plugins (built-in and pip packages)."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_hub
def plugins_list(hub: Hub, as_json: bool) -> None:
    """List every connector with its kind, capabilities and origin."""
    catalog = hub.plugins.catalog()
    if as_json:
        import msgspec

        click.echo(msgspec.json.encode(catalog).decode())
        return
    table = Table(title="Installed plugins")
    for column in ("name", "kind", "capabilities", "origin", "description"):
        table.add_column(column)
    for info in catalog:
        table.add_row(
            info.name, info.kind, ", ".join(info.capabilities), info.origin, info.description
        )
    Console().print(table if catalog else "No plugins installed.")
