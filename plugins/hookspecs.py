"""Every hook Junction calls, in one place.

A plugin implements any of these with ``@hookimpl`` on module-level functions (or
methods of a registered object). docs/plugins.md documents each hook with its exact
signature and an example; tests/plugins/test_hookspecs.py fails when one is missing
there or is not exercised by a test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from junction.plugins.connector import Connector

hookspec = pluggy.HookspecMarker("junction")


@hookspec
def register_connectors() -> list[type[Connector[Any]]]:
    """Return the connector classes (sources and destinations) this plugin provides.

    Called once when the plugin manager loads. Each class carries its ``spec``; two
    connectors with the same ``spec.name`` are refused at load time.
    """


@hookspec
def register_routes() -> list[Any]:
    """Return litestar route handlers to mount on the hub's HTTP server.

    Called once when the app is created. This is how receivers arrive: a WeChat
    callback, an SDK endpoint, a signed unsubscribe link. Mount under a path named
    after the plugin (``/hooks/<plugin>/...``) unless a platform dictates the path.
    Routes are public: each handler authenticates its caller (signature, write key).
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add subcommands to the ``junction`` command line.

    Called once when the CLI starts, with the top-level ``click`` group.
    """
