"""End to end: a message sync through the real SyncEngine to the Aliyun fake."""

from __future__ import annotations

import json
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
from ...fakes.aliyun_sms import FakeAliyunSms
from .common import VALID

SETTINGS: dict[str, Any] = {
    "template": {"params": {"name": "{{ traits.name }}", "code": "C{{ profile.id }}"}},
    "platform_template": "SMS_0001",
    "options": {"sign_name": "Junction"},
}


async def world(db: Database) -> tuple[Plugins, Any]:
    registry = load_plugins(builtins=("junction.destinations.aliyun_sms",), entry_points=False)
    secrets = box()
    await make_segment(db)
    await Connections(db, registry, secrets).create(
        name="sms", plugin="aliyun_sms", config=VALID, actor=ACTOR
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
    """The number world.add_people gives ``pid``, in Aliyun's mainland form."""
    return f"1380000{pid:04d}"


async def test_newcomers_get_the_template_with_their_own_params(db: Database) -> None:
    registry, secrets = await world(db)
    fake = FakeAliyunSms()
    engine = make_engine(db, registry, secrets, {"sms": fake.transport()})
    ids = await people(db, secrets, 3)
    await compute(db)
    run = await run_sync(engine, "welcome")
    assert (run.status, run.planned, run.accepted) == ("succeeded", 3, 3)
    assert_reconciles(run)
    [(action, params)] = fake.calls
    assert action == "SendBatchSms"
    assert {(s.number, s.params["name"], s.params["code"]) for s in fake.sent} == {
        (number(pid), f"P{pid}", f"C{pid}") for pid in ids
    }
    assert json.loads(params["SignNameJson"]) == ["Junction"] * 3


async def test_bad_numbers_are_dead_lettered_and_timeouts_parked_never_resent(
    db: Database,
) -> None:
    registry, secrets = await world(db)
    fake = FakeAliyunSms()
    engine = make_engine(db, registry, secrets, {"sms": fake.transport()})
    ids = await people(db, secrets, 4)
    fake.invalid_numbers.add(number(ids[1]))
    fake.limited_numbers.add(number(ids[2]))
    # The batch is refused; then one by one: ok, illegal, limited, and a timeout.
    fake.faults.extend(["pass", "pass", "pass", "pass", "timeout"])
    await compute(db)
    run = await run_sync(engine, "welcome")
    assert run.status == "partial"
    assert (run.accepted, run.dead_lettered, run.unknown) == (1, 1, 1)
    assert run.failed == 1  # the rate-limited number ran out of passes: next run sends it
    assert_reconciles(run)
    letters = {letter.kind: letter for letter in await list_dead_letters(db)}
    assert letters["rejected"].code == "isv.MOBILE_NUMBER_ILLEGAL"
    assert "may have been sent" in (letters["unknown"].reason or "")
    # Whatever timed out went out once and is never sent again by the engine.
    assert fake.numbers_sent().count(number(ids[3])) == 1
    assert fake.numbers_sent().count(number(ids[0])) == 1


async def test_refused_credentials_stop_the_run_and_send_nothing(db: Database) -> None:
    registry, secrets = await world(db)
    fake = FakeAliyunSms(access_key_secret="the-platform-knows-another")
    engine = make_engine(db, registry, secrets, {"sms": fake.transport()})
    await people(db, secrets, 2)
    await compute(db)
    run = await run_sync(engine, "welcome")
    assert run.status == "failed"
    assert "SignatureDoesNotMatch" in (run.error or "")
    assert VALID["access_key_secret"] not in (run.error or "")
    assert fake.sent == []
