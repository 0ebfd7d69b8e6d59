"""The ``junction`` command line."""

from __future__ import annotations

import sys

import click

from junction.admin.cli.app import cli
from junction.core.errors import JunctionError


def main() -> None:
    """Entry point of the ``junction`` script: readable errors, no tracebacks."""
    try:
        cli.main(standalone_mode=False, prog_name="junction")
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except JunctionError as exc:
        click.secho(f"Error: {exc}", fg="red", err=True)
        sys.exit(1)


__all__ = ["cli", "main"]
