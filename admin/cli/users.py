"""``junction users``: people who sign in to the web admin."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
from rich.console import Console
from rich.table import Table

from junction.admin.cli.app import Hub, cli, pass_hub, run
from junction.admin.cli.connections import CLI_ACTOR
from junction.core import users as users_service
from junction.core.api_tokens import Role
from junction.core.db import Database

T = TypeVar("T")


def _with_db(hub: Hub, work: Callable[[Database], Awaitable[T]]) -> T:
    async def _run() -> T:
        db = hub.open_db()
        try:
            await db.require_current_schema()
            return await work(db)
        finally:
            await db.close()

    return run(_run())


def _read_password(generate: bool) -> tuple[str, bool]:
    """The new password: generated (and printed once), or typed twice without echo."""
    if generate:
        return secrets.token_urlsafe(15), True
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return str(password), False


@cli.group()
def users() -> None:
    """Create, list, disable web admin users and set their passwords."""


@users.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default="viewer",
    show_default=True,
    help="viewer reads (PII masked); editor also configures; admin also manages users.",
)
@click.option(
    "--generate-password", is_flag=True, help="Make up a strong password and print it once."
)
@pass_hub
def users_create(hub: Hub, name: str, role: str, generate_password: bool) -> None:
    """Create a user called NAME (the first admin is made this way)."""
    password, generated = _read_password(generate_password)
    user = _with_db(
        hub,
        lambda db: users_service.create_user(
            db, name=name, password=password, role=role, actor=CLI_ACTOR
        ),
    )
    Console().print(f"Created {user.role} user [bold]{user.name}[/].")
    if generated:
        click.echo(f"Password (shown once): {password}")


@users.command("list")
@pass_hub
def users_list(hub: Hub) -> None:
    """List users (never their passwords)."""
    table = Table(title="Web admin users")
    for column in ("name", "role", "created", "last sign-in", "disabled"):
        table.add_column(column)
    for user in _with_db(hub, users_service.list_users):
        table.add_row(
            user.name,
            user.role,
            f"{user.created_at:%Y-%m-%d %H:%M}",
            f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "-",
            f"{user.disabled_at:%Y-%m-%d %H:%M}" if user.disabled_at else "-",
        )
    Console().print(table)


@users.command("passwd")
@click.argument("name")
@click.option(
    "--generate-password", is_flag=True, help="Make up a strong password and print it once."
)
@pass_hub
def users_passwd(hub: Hub, name: str, generate_password: bool) -> None:
    """Set NAME's password; their browsers are signed out."""
    password, generated = _read_password(generate_password)
    _with_db(hub, lambda db: users_service.set_password(db, name, password, actor=CLI_ACTOR))
    Console().print(f"Password of [bold]{name}[/] changed; their sessions ended.")
    if generated:
        click.echo(f"Password (shown once): {password}")


@users.command("disable")
@click.argument("name")
@pass_hub
def users_disable(hub: Hub, name: str) -> None:
    """Disable NAME: they can't sign in, and their sessions end now."""
    _with_db(hub, lambda db: users_service.disable_user(db, name, actor=CLI_ACTOR))
    Console().print(f"Disabled [bold]{name}[/].")
