"""Members without the sync's consent purpose are never sent, and are counted."""

from __future__ import annotations

from junction.core.db import Database

from ...fakes.webhook import FakeWebhook
from .test_push import emails
from .world import (
    SECRET,
    add_people,
    assert_reconciles,
    box,
    compute,
    decide,
    make_engine,
    make_push,
    make_segment,
    make_webhook,
    plugins,
    run_sync,
)


async def test_consent_gates_adds_and_follows_decisions(db: Database) -> None:
    registry, secrets = plugins(), box()
    people = await add_people(db, secrets, 6)
    await decide(db, people[:2], "ads", "granted")
    await decide(db, people[2:3], "ads", "granted")
    await decide(db, people[2:3], "ads", "withdrawn")  # the newest decision counts
    await decide(db, people[3:4], "ads", "denied")
    await make_segment(db)
    await compute(db)
    await make_webhook(db, registry, secrets)
    await make_push(db, registry, consent_purpose="ads")
    fake = FakeWebhook(SECRET)
    engine = make_engine(db, registry, secrets, {"hook": fake.transport()})

    first = await run_sync(engine, "vips-to-hook")
    assert (first.planned, first.accepted, first.skipped_consent) == (6, 2, 4)
    assert_reconciles(first)
    assert fake.members["vips"] == emails(people[:2])

    # A skipped member who grants consent later is sent by the next run.
    await decide(db, people[4:5], "ads", "granted")
    # A delivered member who withdraws is removed, though still in the segment.
    await decide(db, people[0:1], "ads", "withdrawn")
    second = await run_sync(engine, "vips-to-hook")
    assert (second.status, second.planned, second.accepted) == ("succeeded", 2, 2)
    assert fake.members["vips"] == emails([people[1], people[4]])
    assert set(fake.applied.values()) == {1}
