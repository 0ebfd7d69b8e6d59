"""The top-level group, the shared CLI context and the commands of every module."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from functools import cached_property
from typing import TypeVar

import click

from junction.core.db import Database
from junction.core.secrets import SecretBox
from junction.core.settings import ENVIRONMENT, Settings
from junction.plugins.manager import Plugins, load_plugins

T = TypeVar("T")

_ENV_HELP = "\n".join(
    f"  {name:<24} {desc} (default: {default or 'empty'})"
    for name, (_, default, desc) in ENVIRONMENT.items()
)


class Hub:
    """What commands share, built on first use so ``--help`` stays instant."""

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_env()

    @cached_property
    def plugins(self) -> Plugins:
        return load_plugins(self.settings.plugins)

    @cached_property
    def secrets(self) -> SecretBox:
        return SecretBox.from_settings(self.settings.secret_key, self.settings.home)

    def open_db(self) -> Database:
        return Database.open(self.settings.database_url)


def run(coroutine: Awaitable[T]) -> T:
    async def _wrapped() -> T:
        return await coroutine

    return asyncio.run(_wrapped())


pass_hub = click.make_pass_decorator(Hub, ensure=True)


class JunctionGroup(click.Group):
    """Adds plugin commands (``register_commands``) the first time commands are listed."""

    _plugins_loaded = False

    def _load_plugin_commands(self, ctx: click.Context) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        hub = ctx.ensure_object(Hub)
        hub.plugins.hook.register_commands(cli=self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_plugin_commands(ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None:
            self._load_plugin_commands(ctx)
            command = super().get_command(ctx, name)
        return command


@click.group(
    cls=JunctionGroup,
    epilog=f"Environment variables:\n\n\b\n{_ENV_HELP}",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="junction")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Junction: an open integration hub for marketing data.

    Collects events, orders and consent from sources, resolves them into profiles,
    computes segments and syncs them to ad platforms and messaging channels.
    Configuration comes from JUNCTION_* environment variables (listed below).
    """
    ctx.ensure_object(Hub)


def _register() -> None:
    # Imported for their side effect of adding commands to `cli`.
    from junction.admin.cli import (  # noqa: F401
        audit,
        connections,
        demo,
        messages,
        plugins,
        profiles,
        segments,
        server,
        syncs,
        tokens,
        users,
    )


_register()
