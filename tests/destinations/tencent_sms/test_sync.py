"""End to end: a message sync through the real SyncEngine to the Tencent Cloud SMS fake."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import update

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Profile
from junction.core.messaging.settings import MessageSettings
from junction.core.sync import SyncCreate, create_sync, list_dead_letters
from junction.plugins.manager import Plugins, load_plugins

from ...core.sync.world import (
    ACTOR,
    add_people,
    assert_reconciles,
    box,
    compute,
    decide,
    make_engine,
    make_segment,
    run_sync,
)
from ...fakes.tencent_sms import FakeTencentSms
from .common import VALID

SETTINGS: dict[str, Any] = {
    "template": {"params": {"1": "{{ traits.name }}", "2": "C{{ profile.id }}"}},
    "platform_template": "1110",
    "options": {"sign_name": "Junction"},
}


async def world(db: Database) -> tuple[Plugins, Any]:
    registry = load_plugins(builtins=("junction.destinations.tencent_sms",), entry_points=False)
    secrets = box()
    await make_segment(db)
    await Connections(db, registry, secrets).create(
        name="sms", plugin="tencent_sms", config=VALID, actor=ACTOR
    )
    definition = SyncCreate(
        name="welcome",
        kind="message",  # type: ignore[arg-type]
        connection="sms",
        segment="vips",
        identifiers=["phone"],
        consent_purpose="sms",
        message=msgspec.convert(SETTINGS, MessageSettings),
    )
    await create_sync(db, registry, definition, actor=ACTOR)
    return registry, secrets


async def people(db: Database, secrets: Any, count: int) -> list[int]:
    ids = await add_people(db, secrets, count, phone=True)
    async with db.transaction() as session:
        for pid in ids:
            await session.execute(
                update(Profile).where(Profile.id == pid).values(traits={"name": f"P{pid}"})
            )
    await decide(db, ids, "sms", "granted")
    return ids


def number(pid: int) -> str:
    """The number world.add_people gives ``pid``."""
    return f"+861380000{pid:04d}"


async def test_newcomers_get_the_template_with_their_own_params(db: Database) -> None:
    registry, secrets = await world(db)
    fake = FakeTencentSms()
    engine = make_engine(db, registry, secrets, {"sms": fake.transport()})
    ids = await people(db, secrets, 3)
    await compute(db)
    run = await run_sync(engine, "welcome")
    assert (run.status, run.planned, run.accepted) == ("succeeded", 3, 3)
    assert_reconciles(run)
    # Personal params: one call each, carrying the recipient's key as SessionContext.
    assert {(s.number, s.params) for s in fake.sent} == {
        (number(pid), (f"P{pid}", f"C{pid}")) for pid in ids
    }
    assert all(s.session and len(s.session) == 32 for s in fake.sent)


async def test_per_number_failures_and_unknowns_are_accounted_for(db: Database) -> None:
    registry, secrets = await world(db)
    fake = FakeTencentSms()
    engine = make_engine(db, registry, secrets, {"sms": fake.transport()})
    ids = await people(db, secrets, 3)
    fake.invalid_numbers.add(number(ids[0]))
    fake.faults.extend(["pass", "timeout"])  # the second person's send times out
    await compute(db)
    run = await run_sync(engine, "welcome")
    assert run.status == "partial"
    assert (run.accepted, run.dead_lettered, run.unknown) == (1, 1, 1)
    assert_reconciles(run)
    letters = {letter.kind: letter for letter in await list_dead_letters(db)}
    assert letters["rejected"].code == "InvalidParameterValue.IncorrectPhoneNumber"
    # The third person was not sent in the timed-out pass; the next pass sent them.
    assert sorted(fake.numbers_sent()) == sorted([number(ids[1]), number(ids[2])])
    again = await run_sync(engine, "welcome")
    assert again.planned == 0 and len(fake.sent) == 2  # the unknown one is never resent


async def test_refused_credentials_stop_the_run_and_send_nothing(db: Database) -> None:
    registry, secrets = await world(db)
    fake = FakeTencentSms(secret_key="the-platform-knows-another")
    engine = make_engine(db, registry, secrets, {"sms": fake.transport()})
    await people(db, secrets, 2)
    await compute(db)
    run = await run_sync(engine, "welcome")
    assert run.status == "failed"
    assert "AuthFailure.SignatureFailure" in (run.error or "")
    assert VALID["secret_key"] not in (run.error or "")
    assert fake.sent == []
