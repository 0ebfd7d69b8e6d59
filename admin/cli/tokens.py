"""``junction tokens``: API tokens for the REST API."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from junction.admin.cli.app import Hub, cli, pass_hub, run
from junction.admin.cli.connections import CLI_ACTOR
from junction.core import api_tokens


@cli.group()
def tokens() -> None:
    """Create, list and revoke REST API tokens."""


@tokens.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([role.value for role in api_tokens.Role]),
    default="viewer",
    show_default=True,
    help="viewer reads (PII masked); editor also configures; admin also erases and reveals.",
)
@pass_hub
def tokens_create(hub: Hub, name: str, role: str) -> None:
    """Create a token called NAME and print it once: it can't be shown again."""

    async def _create() -> tuple[str, api_tokens.TokenView]:
        db = hub.open_db()
        try:
            await db.require_current_schema()
            return await api_tokens.create_token(db, name=name, role=role, actor=CLI_ACTOR)
        finally:
            await db.close()

    token, view = run(_create())
    console = Console()
    console.print(f"Created {view.role} token [bold]{view.name}[/] (id {view.id}).")
    console.print("Store it now; it is not shown again:")
    click.echo(token)


@tokens.command("list")
@pass_hub
def tokens_list(hub: Hub) -> None:
    """List tokens (prefixes only)."""

    async def _list() -> list[api_tokens.TokenView]:
        db = hub.open_db()
        try:
            await db.require_current_schema()
            return await api_tokens.list_tokens(db)
        finally:
            await db.close()

    table = Table(title="API tokens")
    for column in ("id", "name", "role", "prefix", "created", "last used", "revoked"):
        table.add_column(column)
    for view in run(_list()):
        table.add_row(
            str(view.id),
            view.name,
            view.role,
            view.prefix + "…",
            f"{view.created_at:%Y-%m-%d %H:%M}",
            f"{view.last_used_at:%Y-%m-%d %H:%M}" if view.last_used_at else "-",
            f"{view.revoked_at:%Y-%m-%d %H:%M}" if view.revoked_at else "-",
        )
    Console().print(table)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@pass_hub
def tokens_revoke(hub: Hub, token_id: int) -> None:
    """Revoke the token with id TOKEN_ID; requests using it fail from now on."""

    async def _revoke() -> None:
        db = hub.open_db()
        try:
            await db.require_current_schema()
            await api_tokens.revoke_token(db, token_id, actor=CLI_ACTOR)
        finally:
            await db.close()

    run(_revoke())
    Console().print(f"Revoked token {token_id}.")
