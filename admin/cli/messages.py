"""``junction messages preview``: a message template rendered for one person."""

from __future__ import annotations

import json
from typing import IO, Any

import click
import msgspec
from rich.console import Console

from junction.admin.cli.app import Hub, cli, pass_hub, run
from junction.core.db import Database
from junction.core.messaging import PreviewRequest, preview_message


@cli.group()
def messages() -> None:
    """Message templates (see docs/messaging.md)."""


@messages.command("preview")
@click.argument("template_file", type=click.File("rb"))
@click.option("--profile", "profile_id", type=int, help="Render for this profile's traits.")
@click.option("--trait", "traits", multiple=True, help="A sample trait NAME=VALUE (repeatable).")
@pass_hub
def messages_preview(
    hub: Hub, template_file: IO[bytes], profile_id: int | None, traits: tuple[str, ...]
) -> None:
    """Render TEMPLATE_FILE (a message's "template" JSON) for a person.

    Every variable the person has no value for is listed at once, so a template is
    fixed before any sync sends it.

    \b
        junction messages preview welcome.json --profile 42
        junction messages preview welcome.json --trait first_name=Lei --trait city=杭州
    """
    try:
        raw: Any = json.loads(template_file.read())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="TEMPLATE_FILE") from None
    sample: dict[str, str] = {}
    for item in traits:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--trait")
        sample[name] = value
    try:
        template = raw.get("template", raw) if isinstance(raw, dict) else raw
        request = msgspec.convert(
            {"template": template, "profile_id": profile_id, "traits": sample}, PreviewRequest
        )
    except msgspec.ValidationError as exc:
        raise click.BadParameter(str(exc), param_hint="TEMPLATE_FILE") from None

    async def _preview() -> Any:
        db = Database.open(hub.settings.database_url)
        try:
            return await preview_message(db, request)
        finally:
            await db.close()

    rendered = run(_preview())
    console = Console()
    for field in ("subject", "text", "html"):
        value = getattr(rendered, field)
        if value is not None:
            console.print(f"[bold]{field}[/]: {value}", markup=True, highlight=False)
    for name, value in rendered.params.items():
        console.print(f"[bold]params.{name}[/]: {value}", markup=True, highlight=False)
