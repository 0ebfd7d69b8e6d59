"""``junction profiles``: look people up and explain why records are one person."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from junction.admin.cli.app import Hub, cli, pass_hub, run
from junction.core.profiles import Profiles, ProfileView


@cli.group()
def profiles() -> None:
    """Inspect profiles (PII masked)."""


def _parse_target(target: str) -> tuple[str, str, str] | int:
    if target.isdigit():
        return int(target)
    kind, sep, value = target.partition(":")
    if not sep or not value:
        raise click.BadParameter(
            "give a profile id or TYPE:VALUE (e.g. phone:13800138000, "
            "wechat_openid@wxAPPID:o6_bm...)",
            param_hint="TARGET",
        )
    kind, _, scope = kind.partition("@")
    return kind, value, scope


async def _load(hub: Hub, target: tuple[str, str, str] | int) -> ProfileView:
    db = hub.open_db()
    try:
        await db.require_current_schema()
        service = Profiles(db, hub.secrets)
        profile_id = target if isinstance(target, int) else await service.lookup(*target)
        return await service.get(profile_id)
    finally:
        await db.close()


@profiles.command("explain")
@click.argument("target")
@pass_hub
def explain(hub: Hub, target: str) -> None:
    """Say why the records of TARGET are one person: identities, merges, conflicts.

    TARGET is a profile id or TYPE:VALUE, e.g. `email:li@example.com`; scoped types
    take the scope after @: `wechat_openid@wx8888:o6_bmjrPTlm6`.
    """
    view = run(_load(hub, _parse_target(target)))
    console = Console()
    console.print(f"[bold]Profile {view.id}[/] (created {view.created_at:%Y-%m-%d %H:%M})")
    identities = Table(title="Identities")
    for column in ("type", "scope", "value", "first seen", "source", "linked by event"):
        identities.add_column(column)
    for identity in view.identities:
        identities.add_row(
            identity.type,
            identity.scope or "-",
            identity.value,
            f"{identity.first_seen_at:%Y-%m-%d %H:%M}",
            str(identity.source_id or "-"),
            identity.message_id or "-",
        )
    console.print(identities)
    if view.merges:
        merges = Table(title="Merges: why these records are one person")
        for column in ("when", "merged", "into", "because event", "linking identifiers"):
            merges.add_column(column)
        for merge in view.merges:
            merges.add_row(
                f"{merge.at:%Y-%m-%d %H:%M}",
                str(merge.merged_id or "(same batch)"),
                str(merge.survivor_id),
                merge.message_id or "-",
                ", ".join(merge.merged_identifiers) + " ↔ " + ", ".join(merge.survivor_identifiers),
            )
        console.print(merges)
    else:
        console.print("No merges: every identity was first seen together with another.")
    if view.conflicts:
        conflicts = Table(title="Links refused (conflicts)")
        for column in ("identifier", "kept by", "refused", "reason", "event"):
            conflicts.add_column(column)
        for conflict in view.conflicts:
            conflicts.add_row(
                conflict.type,
                str(conflict.kept_profile_id),
                str(conflict.refused_profile_id or "-"),
                conflict.reason,
                conflict.message_id or "-",
            )
        console.print(conflicts)
