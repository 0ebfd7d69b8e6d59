"""End to end: message syncs through the real SyncEngine to a real SMTP server, and an
unsubscribe through the hub's route that keeps the person out of the next send."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec
from sqlalchemy import select, update

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Consent, Profile, SyncOperation
from junction.core.identity import Resolver
from junction.core.messaging.settings import MessageSettings
from junction.core.secrets import SecretBox
from junction.core.sync import SyncCreate, create_sync, list_dead_letters
from junction.plugins.manager import Plugins, load_plugins

from ...core.sync.world import (
    ACTOR,
    add_people,
    assert_reconciles,
    box,
    compute,
    decide,
    email_of,
    make_engine,
    make_segment,
    retag,
    run_sync,
    untag,
)
from ...fakes.smtp import FakeSmtp
from .common import raw_config
from .conftest import StartSmtp
from .hub import hub_client

SETTINGS: dict[str, Any] = {
    "template": {
        "subject": "{{ traits.name }}，欢迎加入 Welcome",
        "text": "Hi {{ traits.name }}, your code is C{{ profile.id }}.",
        "html": "<p>Hi <b>{{ traits.name }}</b>, your code is C{{ profile.id }}.</p>",
    },
}


async def world(db: Database, smtp: FakeSmtp) -> tuple[Plugins, SecretBox, Connections]:
    registry = load_plugins(builtins=("junction.destinations.email",), entry_points=False)
    secrets = box()
    await make_segment(db)
    connections = Connections(db, registry, secrets)
    await connections.create(
        name="newsletter", plugin="email", config=raw_config(smtp), actor=ACTOR
    )
    definition = SyncCreate(
        name="welcome",
        kind="message",  # type: ignore[arg-type]
        connection="newsletter",
        segment="vips",
        identifiers=["email"],
        consent_purpose="email",
        message=msgspec.convert(SETTINGS, MessageSettings),
    )
    await create_sync(db, registry, definition, actor=ACTOR)
    return registry, secrets, connections


async def people(db: Database, secrets: SecretBox, count: int) -> list[int]:
    ids = await add_people(db, secrets, count)
    async with db.transaction() as session:
        for pid in ids:
            await session.execute(
                update(Profile).where(Profile.id == pid).values(traits={"name": f"李{pid}"})
            )
    await decide(db, ids, "email", "granted")
    return ids


async def keys(db: Database) -> dict[int, str]:
    async with db.sessions() as session:
        rows = await session.execute(select(SyncOperation.profile_id, SyncOperation.key))
    return {pid: key for pid, key in rows}


async def test_newcomers_get_their_own_mail(db: Database, smtp: FakeSmtp) -> None:
    registry, secrets, _ = await world(db, smtp)
    engine = make_engine(db, registry, secrets, {})
    ids = await people(db, secrets, 3)
    await compute(db)
    run = await run_sync(engine, "welcome")
    assert (run.status, run.planned, run.accepted) == ("succeeded", 3, 3)
    assert_reconciles(run)
    assert smtp.sessions == 1  # one batch, one session
    op_keys = await keys(db)
    for pid in ids:
        msg = smtp.message_for(email_of(pid))
        assert msg["Subject"] == f"李{pid}，欢迎加入 Welcome"
        assert msg["Message-ID"] == f"<{op_keys[pid]}@shop.example>"
        text = msg.get_body(("plain",))
        assert text is not None and f"C{pid}." in text.get_content()
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_refusals_and_unknowns_are_accounted_for(db: Database, start_smtp: StartSmtp) -> None:
    smtp = start_smtp(faults=["pass", "stall"])
    registry, secrets, _ = await world(db, smtp)
    engine = make_engine(db, registry, secrets, {})
    ids = await people(db, secrets, 4)
    smtp.replies[email_of(ids[0])] = "550 5.1.1 No such user"
    smtp.replies[email_of(ids[3])] = "451 4.7.1 Greylisted"
    await compute(db)
    run = await run_sync(engine, "welcome")
    # ids[0] refused for good; ids[1] accepted; ids[2] timed out after DATA (unknown);
    # ids[3] greylisted, and again on every later pass: it stays failed, retried later.
    assert run.status == "partial"
    assert (run.accepted, run.dead_lettered, run.unknown) == (1, 1, 1)
    assert run.failed == 1
    assert_reconciles(run)
    # The refused one is dead-lettered; the unknown one is parked for a person to decide.
    letters = {letter.kind: letter for letter in await list_dead_letters(db)}
    assert sorted(letters) == ["rejected", "unknown"]
    assert letters["rejected"].code == "550"
    assert "may have been delivered" in (letters["unknown"].reason or "")
    # The greylisting ends; the next run sends the failed one, never the unknown one.
    del smtp.replies[email_of(ids[3])]
    again = await run_sync(engine, "welcome")
    assert again.accepted == 1
    assert sorted(smtp.delivered_to()) == sorted(email_of(p) for p in ids[1:])


async def test_an_unsubscribe_keeps_the_person_out_of_later_sends(
    db: Database, smtp: FakeSmtp, tmp_path: Path
) -> None:
    registry, secrets, connections = await world(db, smtp)
    engine = make_engine(db, registry, secrets, {})
    ada, grace = await people(db, secrets, 2)
    await compute(db)
    assert (await run_sync(engine, "welcome")).accepted == 2
    # Ada's mailbox provider follows the one-click link of the mail she got.
    header = smtp.message_for(email_of(ada))["List-Unsubscribe"]
    link = urlsplit(re.findall(r"<(https://[^>]+)>", header)[0])
    async with hub_client(tmp_path, db, registry, connections) as client:
        response = await client.post(
            f"{link.path}?{link.query}", data={"List-Unsubscribe": "One-Click"}
        )
    assert response.status_code == 200
    await Resolver(db, secrets).resolve_all()
    async with db.sessions() as session:
        decisions = await session.execute(
            select(Consent.status).where(Consent.profile_id == ada).order_by(Consent.id)
        )
    assert decisions.scalars().all()[-1] == "withdrawn"
    # Both leave the segment (a run notes it), then enter again: only Grace is mailed.
    await untag(db, [ada, grace])
    await compute(db)
    assert (await run_sync(engine, "welcome")).planned == 0
    await retag(db, [ada, grace])
    await compute(db)
    again = await run_sync(engine, "welcome")
    assert (again.planned, again.accepted, again.skipped_consent) == (2, 1, 1)
    assert smtp.delivered_to().count(email_of(ada)) == 1
    assert smtp.delivered_to().count(email_of(grace)) == 2
