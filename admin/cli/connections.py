"""``junction connections``: configure plugin instances."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from junction.admin.cli.app import Hub, cli, pass_hub, run
from junction.core.connections import Connections
from junction.core.errors import ConfigError

CLI_ACTOR = "cli:" + (os.environ.get("USER") or "unknown")


def _service(hub: Hub) -> tuple[Connections, Any]:
    db = hub.open_db()
    return Connections(db, hub.plugins, hub.secrets), db


@cli.group()
def connections() -> None:
    """Configure sources and destinations (connections)."""


@connections.command("list")
@pass_hub
def connections_list(hub: Hub) -> None:
    """List connections. Secrets are shown only as the names of the fields that are set."""

    async def _list() -> list[Any]:
        service, db = _service(hub)
        try:
            await db.require_current_schema()
            return await service.list()
        finally:
            await db.close()

    rows = run(_list())
    table = Table(title="Connections")
    for column in ("name", "plugin", "kind", "enabled", "config", "secrets set"):
        table.add_column(column)
    for view in rows:
        table.add_row(
            view.name,
            view.plugin,
            view.kind,
            "yes" if view.enabled else "no",
            json.dumps(view.config, ensure_ascii=False),
            ", ".join(view.secrets_set) or "-",
        )
    Console().print(
        table if rows else "No connections yet: add one with `junction connections add`."
    )


def _parse_assignments(assignments: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in assignments:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--set")
        try:
            values[key] = json.loads(raw)  # numbers, booleans, lists
        except json.JSONDecodeError:
            values[key] = raw
    return values


@connections.command("add")
@click.argument("name")
@click.option(
    "--plugin", "plugin_name", required=True, help="Plugin name (`junction plugins list`)."
)
@click.option(
    "--config-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON file with the config (secrets included).",
)
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE", help="Set one field.")
@pass_hub
def connections_add(
    hub: Hub, name: str, plugin_name: str, config_file: Path | None, assignments: tuple[str, ...]
) -> None:
    """Add connection NAME using PLUGIN, validating its config before anything is stored.

    Secret fields left out are asked for without echo when a terminal is attached, so
    they need not appear in shell history. Example:

        junction connections add crm-hook --plugin hello_webhook --set url=https://x.test/hook
    """
    config: dict[str, Any] = {}
    if config_file:
        try:
            config = json.loads(config_file.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{config_file} is not valid JSON: {exc}") from None
        if not isinstance(config, dict):
            raise ConfigError(f"{config_file} must hold a JSON object")
    config.update(_parse_assignments(assignments))
    spec = hub.plugins.connector(plugin_name).spec
    required = set(spec.config_schema().get("required", []))
    for field in sorted(spec.secret_fields - config.keys()):
        if field in required and sys.stdin.isatty():
            config[field] = click.prompt(f"{field}", hide_input=True)

    async def _add() -> Any:
        service, db = _service(hub)
        try:
            await db.require_current_schema()
            return await service.create(
                name=name, plugin=plugin_name, config=config, actor=CLI_ACTOR
            )
        finally:
            await db.close()

    view = run(_add())
    console = Console()
    console.print(
        f"[green]Added[/] connection [bold]{view.name}[/] ({view.plugin}, {view.kind}); "
        f"secrets set: {', '.join(view.secrets_set) or 'none'}"
    )
    if view.created_write_key:
        _print_write_key(console, view.created_write_key)


def _print_write_key(console: Console, key: str) -> None:
    # Printed without markup or wrapping so it can be copied whole; it is shown only now.
    console.print("Write key (shown only this once; store it where your senders read it):")
    console.print(key, markup=False, highlight=False, soft_wrap=True)


@connections.command("rotate-key")
@click.argument("name")
@pass_hub
def connections_rotate_key(hub: Hub, name: str) -> None:
    """Issue a new write key for NAME and revoke its old ones at once.

    Senders still using an old key are refused from then on (a running hub may accept
    it for a few more seconds).
    """

    async def _rotate() -> str:
        service, db = _service(hub)
        try:
            await db.require_current_schema()
            return await service.rotate_write_key(name, actor=CLI_ACTOR)
        finally:
            await db.close()

    key = run(_rotate())
    console = Console()
    console.print(f"[green]Rotated[/] the write key of [bold]{name}[/]; the old keys are revoked.")
    _print_write_key(console, key)


@connections.command("check")
@click.argument("name")
@pass_hub
def connections_check(hub: Hub, name: str) -> None:
    """Run the plugin's check for NAME against the platform; exit 1 if it fails."""

    async def _check() -> Any:
        service, db = _service(hub)
        try:
            await db.require_current_schema()
            return await service.check(name, actor=CLI_ACTOR)
        finally:
            await db.close()

    result = run(_check())
    if result.ok:
        Console().print(f"[green]OK[/] {name}: {result.message}")
        return
    Console().print(f"[red]FAILED[/] {name}: {result.message}")
    sys.exit(1)
