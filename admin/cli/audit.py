"""``junction audit``: the tamper-evident audit log."""

from __future__ import annotations

import sys

from rich.console import Console

from junction.admin.cli.app import Hub, cli, pass_hub, run
from junction.core import audit as audit_log


@cli.group()
def audit() -> None:
    """Work with the audit log."""


@audit.command()
@pass_hub
def verify(hub: Hub) -> None:
    """Check the hash chain; exit 1 if any entry was edited or deleted."""

    async def _verify() -> audit_log.VerifyReport:
        db = hub.open_db()
        try:
            await db.require_current_schema()
            return await audit_log.verify(db)
        finally:
            await db.close()

    report = run(_verify())
    console = Console()
    if report.ok:
        console.print(f"[green]Audit log intact:[/] {report.checked} entries verified.")
        return
    console.print(f"[red]Audit log tampered with[/] ({report.checked} entries checked):")
    for problem in report.problems:
        console.print(f"  - {problem}")
    sys.exit(1)
