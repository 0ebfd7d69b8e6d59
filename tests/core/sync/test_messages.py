"""Message syncs: who enters a segment gets a message, within consent, caps and quiet hours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import msgspec
import pytest
from sqlalchemy import update

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Connection, Profile, Sync
from junction.core.messaging.settings import MessageSettings
from junction.core.sync import SyncCreate, create_sync, list_dead_letters
from junction.core.sync.errors import SyncDefinitionError
from junction.plugins import (
    BatchResult,
    Capability,
    CheckResult,
    ConnectorContext,
    ConnectorSpec,
    IdentifierRule,
    Kind,
    Message,
    Messenger,
    Notification,
    PermanentFailure,
    Recipient,
    RecordResult,
    RecordStatus,
    hookimpl,
)
from junction.plugins.manager import Plugins, load_plugins

from .world import (
    ACTOR,
    add_people,
    assert_reconciles,
    box,
    compute,
    decide,
    fast_policy,
    make_engine,
    make_segment,
    retag,
    run_sync,
    untag,
)

#: How the platform answers for a phone number (accepted when not listed).
ANSWERS: dict[str, RecordStatus] = {}


class NoConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    pass


class Outbox(Messenger[NoConfig]):
    """An SMS platform that keeps what it was asked to send; some numbers fail."""

    spec = ConnectorSpec(
        name="outbox",
        kind=Kind.DESTINATION,
        title="Outbox",
        description="An in-memory SMS platform.",
        config=NoConfig,
        capabilities=frozenset({Capability.MESSAGE}),
        accepts=(IdentifierRule(type="phone", normalizer="e164"),),
        idempotent=False,
    )
    sent: ClassVar[list[tuple[Message, Recipient]]] = []

    async def check(self, ctx: ConnectorContext[NoConfig]) -> CheckResult:
        return CheckResult(ok=True, message="in memory")

    async def send(
        self, ctx: ConnectorContext[NoConfig], message: Message, recipients: Sequence[Recipient]
    ) -> BatchResult:
        results = []
        for recipient in recipients:
            status = ANSWERS.get(recipient.address["phone"], RecordStatus.ACCEPTED)
            if status is RecordStatus.ACCEPTED:
                self.sent.append((message, recipient))
            results.append(RecordResult(key=recipient.key, status=status, code="X"))
        return BatchResult(results=tuple(results))


class _Plugin:
    @hookimpl
    def register_connectors(self) -> list[type]:
        return [Outbox]


def settings(**overrides: Any) -> dict[str, Any]:
    return {
        "template": {"params": {"name": "{{ traits.name }}", "code": "C{{ profile.id }}"}},
        "platform_template": "SMS_0001",
        "options": {"sign_name": "Junction"},
        **overrides,
    }


async def world(db: Database, *, message: dict[str, Any] | None = None) -> tuple[Plugins, Any]:
    Outbox.sent = []
    registry, secrets = load_plugins(builtins=[_Plugin()], entry_points=False), box()
    await make_segment(db)
    await Connections(db, registry, secrets).create(
        name="sms", plugin="outbox", config={}, actor=ACTOR
    )
    await create_sync(
        db,
        registry,
        SyncCreate(
            name="welcome",
            kind="message",  # type: ignore[arg-type]
            connection="sms",
            segment="vips",
            identifiers=["phone"],
            consent_purpose="sms",
            message=msgspec.convert(message or settings(), MessageSettings),
        ),
        actor=ACTOR,
    )
    return registry, secrets


async def people(db: Database, secrets: Any, count: int, *, consent: bool = True) -> list[int]:
    ids = await add_people(db, secrets, count, phone=True)
    async with db.transaction() as session:
        for pid in ids:
            await session.execute(
                update(Profile).where(Profile.id == pid).values(traits={"name": f"P{pid}"})
            )
    if consent:
        await decide(db, ids, "sms", "granted")
    return ids


def phones(sent: list[tuple[Message, Recipient]]) -> set[str]:
    return {recipient.address["phone"] for _, recipient in sent}


async def test_people_who_enter_the_segment_get_the_rendered_message(db: Database) -> None:
    registry, secrets = await world(db)
    engine = make_engine(db, registry, secrets, {})
    first = await run_sync(engine, "welcome")
    assert (first.status, first.planned) == ("succeeded", 0)
    newcomers = await people(db, secrets, 3)
    await compute(db)
    run = await run_sync(engine, "welcome")
    assert (run.status, run.planned, run.accepted) == ("succeeded", 3, 3)
    assert_reconciles(run)
    assert phones(Outbox.sent) == {f"+861380000{pid:04d}" for pid in newcomers}
    message, recipient = Outbox.sent[0]
    assert (message.template, message.options) == ("SMS_0001", {"sign_name": "Junction"})
    pid = newcomers[0]
    assert Outbox.sent[0][1].params == {"name": f"P{pid}", "code": f"C{pid}"}
    assert recipient.content is None  # platform template: only its params
    # Nobody entered since: the next run sends nothing.
    assert (await run_sync(engine, "welcome")).planned == 0


async def test_members_already_in_the_segment_are_not_messaged(db: Database) -> None:
    registry = load_plugins(builtins=[_Plugin()], entry_points=False)
    secrets = box()
    await people(db, secrets, 4)  # in the segment before the sync exists
    await make_segment(db)
    await compute(db)
    await Connections(db, registry, secrets).create(
        name="sms", plugin="outbox", config={}, actor=ACTOR
    )
    definition = SyncCreate(
        name="welcome",
        kind="message",  # type: ignore[arg-type]
        connection="sms",
        segment="vips",
        identifiers=["phone"],
        consent_purpose="sms",
        message=msgspec.convert(settings(), MessageSettings),
    )
    await create_sync(db, registry, definition, actor=ACTOR)
    Outbox.sent = []
    run = await run_sync(make_engine(db, registry, secrets, {}), "welcome")
    assert (run.planned, Outbox.sent) == (0, [])


async def test_without_consent_nobody_is_messaged(db: Database) -> None:
    registry, secrets = await world(db)
    engine = make_engine(db, registry, secrets, {})
    granted = await people(db, secrets, 2)
    refused = await people(db, secrets, 2, consent=False)
    await decide(db, refused[:1], "sms", "withdrawn")
    await compute(db)
    run = await run_sync(engine, "welcome")
    assert (run.planned, run.accepted, run.skipped_consent) == (4, 2, 2)
    assert_reconciles(run)
    assert phones(Outbox.sent) == {f"+861380000{pid:04d}" for pid in granted}


async def test_quiet_hours_defer_and_consent_is_checked_again_at_send_time(db: Database) -> None:
    now = datetime.now(UTC)
    quiet = {
        "start": (now - timedelta(hours=1)).strftime("%H:%M"),
        "end": (now + timedelta(hours=1)).strftime("%H:%M"),
        "default_timezone": "UTC",
    }
    registry, secrets = await world(db, message=settings(quiet_hours=quiet))
    engine = make_engine(db, registry, secrets, {})
    ids = await people(db, secrets, 3)
    # One person lives where it is daytime now: their time zone trait wins.
    async with db.transaction() as session:
        await session.execute(
            update(Profile)
            .where(Profile.id == ids[0])
            .values(traits={"name": "Day", "timezone": _daytime_zone(now)})
        )
    await compute(db)
    night = await run_sync(engine, "welcome")
    assert (night.planned, night.accepted, night.deferred) == (3, 1, 2)
    assert_reconciles(night)
    assert phones(Outbox.sent) == {f"+861380000{ids[0]:04d}"}
    # Before the next run, one of the deferred withdraws; the quiet hours end.
    await decide(db, ids[1:2], "sms", "withdrawn")
    async with db.transaction() as session:
        await session.execute(update(Sync).values(message=settings()))
    morning = await run_sync(engine, "welcome")
    assert (morning.planned, morning.accepted, morning.skipped_consent) == (2, 1, 1)
    assert_reconciles(morning)
    assert phones(Outbox.sent) == {f"+861380000{ids[0]:04d}", f"+861380000{ids[2]:04d}"}


def _daytime_zone(now: datetime) -> str:
    """An IANA zone 12 hours away from UTC, where the UTC window is far away."""
    return "Etc/GMT-12" if now.hour < 12 else "Etc/GMT+11"


async def test_the_frequency_cap_spans_runs_and_reentries(db: Database) -> None:
    cap = {"max_messages": 1, "per_hours": 24}
    registry, secrets = await world(db, message=settings(frequency_cap=cap))
    engine = make_engine(db, registry, secrets, {})
    ids = await people(db, secrets, 2)
    await compute(db)
    assert (await run_sync(engine, "welcome")).accepted == 2
    # They leave and come back the same day: no second message.
    await untag(db, ids)
    await compute(db)
    assert (await run_sync(engine, "welcome")).planned == 0  # leaving sends nothing
    await retag(db, ids)
    await compute(db)
    again = await run_sync(engine, "welcome")
    assert (again.planned, again.accepted, again.skipped_cap) == (2, 0, 2)
    assert_reconciles(again)
    assert len(Outbox.sent) == 2


async def test_bad_numbers_and_missing_variables_are_accounted_for(db: Database) -> None:
    template = {"params": {"name": "{{ traits.name }}", "tier": "{{ traits.tier }}"}}
    registry, secrets = await world(db, message=settings(template=template))
    engine = make_engine(db, registry, secrets, {})
    ids = await people(db, secrets, 4)
    async with db.transaction() as session:
        for pid, tier in zip(ids[:3], ("gold", "gold", "gold"), strict=True):
            await session.execute(
                update(Profile).where(Profile.id == pid).values(traits={"name": "x", "tier": tier})
            )
    ANSWERS.clear()
    ANSWERS.update(
        {
            f"+861380000{ids[1]:04d}": RecordStatus.REJECTED,
            f"+861380000{ids[2]:04d}": RecordStatus.UNKNOWN,
        }
    )
    try:
        await compute(db)
        run = await run_sync(engine, "welcome")
    finally:
        ANSWERS.clear()
    assert (run.status, run.planned) == ("partial", 4)
    assert (run.accepted, run.dead_lettered, run.unknown) == (1, 2, 1)
    assert_reconciles(run)
    letters = {d.kind: d for d in await list_dead_letters(db)}
    assert set(letters) == {"rejected", "template", "unknown"}
    assert "tier" in (letters["template"].reason or "")


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"consent_purpose": None}, "$.consent_purpose"),
        ({"message": None}, "$.message"),
        ({"mode": "mirror"}, "$.mode"),
        ({"message": settings(template={"text": "{{ oops"})}, "$.message.template.text"),
        (
            {"message": settings(quiet_hours={"start": "21:00", "end": "8:00"})},
            "$.message.quiet_hours.end",
        ),
        (
            {
                "message": settings(
                    quiet_hours={"start": "21:00", "end": "08:00", "default_timezone": "Mars/Base"}
                )
            },
            "$.message.quiet_hours.default_timezone",
        ),
    ],
)
async def test_definitions_are_checked(db: Database, change: dict[str, Any], path: str) -> None:
    registry, _ = await world(db)
    raw = {
        "name": "other",
        "kind": "message",
        "connection": "sms",
        "segment": "vips",
        "identifiers": ["phone"],
        "consent_purpose": "sms",
        "message": settings(),
        **change,
    }
    with pytest.raises(SyncDefinitionError) as caught:
        await create_sync(db, registry, msgspec.convert(raw, SyncCreate), actor=ACTOR)
    assert caught.value.path == path


class Bot(Messenger[NoConfig]):
    """An operators' group bot that keeps what it was told; it can be made to fail."""

    spec = ConnectorSpec(
        name="bot",
        kind=Kind.DESTINATION,
        title="Bot",
        description="An in-memory group bot.",
        config=NoConfig,
        capabilities=frozenset({Capability.NOTIFY}),
        idempotent=False,
    )
    told: ClassVar[list[Notification]] = []
    broken: ClassVar[bool] = False

    async def check(self, ctx: ConnectorContext[NoConfig]) -> CheckResult:
        return CheckResult(ok=True, message="in memory")

    async def notify(self, ctx: ConnectorContext[NoConfig], notification: Notification) -> None:
        if self.broken:
            raise PermanentFailure("the bot was removed from the group")
        self.told.append(notification)


class _BotPlugin:
    @hookimpl
    def register_connectors(self) -> list[type]:
        return [Outbox, Bot]


async def test_operators_hear_of_partial_runs_only(db: Database) -> None:
    Outbox.sent, Bot.told, Bot.broken = [], [], False
    registry, secrets = load_plugins(builtins=[_BotPlugin()], entry_points=False), box()
    await make_segment(db)
    service = Connections(db, registry, secrets)
    await service.create(name="sms", plugin="outbox", config={}, actor=ACTOR)
    await service.create(name="ops", plugin="bot", config={}, actor=ACTOR)
    definition = {
        "name": "welcome",
        "kind": "message",
        "connection": "sms",
        "segment": "vips",
        "identifiers": ["phone"],
        "consent_purpose": "sms",
        "message": settings(),
        "notify": "ops",
    }
    view = await create_sync(db, registry, msgspec.convert(definition, SyncCreate), actor=ACTOR)
    assert view.notify == "ops"
    engine = make_engine(db, registry, secrets, {}, public_url="https://hub.example/")
    ids = await people(db, secrets, 2)
    await compute(db)
    assert (await run_sync(engine, "welcome")).status == "succeeded"
    assert Bot.told == []  # nothing to tell
    bad = await people(db, secrets, 1)
    ANSWERS[f"+861380000{bad[0]:04d}"] = RecordStatus.REJECTED
    try:
        await compute(db)
        run = await run_sync(engine, "welcome")
    finally:
        ANSWERS.clear()
    assert run.status == "partial"
    [told] = Bot.told
    assert told.title == f"Junction: sync welcome run {run.id} partial"
    assert "dead-lettered 1" in told.text
    assert told.url == f"https://hub.example/admin/runs/{run.id}"
    assert told.severity == "warning"
    # A bot that fails never changes the run's outcome.
    Bot.broken = True
    await untag(db, ids)
    await compute(db)
    await retag(db, ids)
    ANSWERS.update({f"+861380000{pid:04d}": RecordStatus.REJECTED for pid in ids})
    try:
        assert (await run_sync(engine, "welcome")).status in ("succeeded", "partial")
    finally:
        ANSWERS.clear()


async def test_only_a_notify_connection_can_be_notified(db: Database) -> None:
    registry, _ = await world(db)
    raw = {
        "name": "x",
        "kind": "message",
        "connection": "sms",
        "segment": "vips",
        "identifiers": ["phone"],
        "consent_purpose": "sms",
        "message": settings(),
        "notify": "sms",  # an SMS channel, not an operators' bot
    }
    with pytest.raises(SyncDefinitionError, match="can't notify operators") as caught:
        await create_sync(db, registry, msgspec.convert(raw, SyncCreate), actor=ACTOR)
    assert caught.value.path == "$.notify"


async def test_notifications_wait_for_the_connections_rate_limit() -> None:
    from junction.core.sync.notify import send_notification

    class Spy:
        acquired = 0

        async def acquire(self) -> None:
            type(self).acquired += 1

    Bot.told, Bot.broken = [], False
    ctx = ConnectorContext(connection="ops", config=NoConfig())
    note = Notification(title="t", text="x")
    connection = Connection(name="ops")  # only its name is read
    sent = await send_notification(Bot(), ctx, connection, note, fast_policy(), Spy())  # type: ignore[arg-type]
    assert sent and Spy.acquired == 1 and Bot.told == [note]
