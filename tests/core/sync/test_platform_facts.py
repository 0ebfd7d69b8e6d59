"""What destinations report (received, matched, audience size) and the minimum-size rule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import msgspec
import pytest

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.errors import NotFoundError
from junction.core.pii import sha256_hex
from junction.core.sync import match_history
from junction.plugins import (
    Audience,
    AudienceDestination,
    AudienceRequest,
    BatchResult,
    Capability,
    CheckResult,
    ConnectorContext,
    ConnectorSpec,
    Hashing,
    IdentifierRule,
    JobState,
    JobStatus,
    Kind,
    Limits,
    Member,
    PendingJob,
    hookimpl,
)
from junction.plugins.manager import Plugins, load_plugins

from .world import (
    add_people,
    assert_reconciles,
    box,
    compute,
    decide,
    email_of,
    make_engine,
    make_push,
    make_segment,
    run_sync,
    untag,
)


class NoConfig(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    pass


class Reporting(AudienceDestination[NoConfig]):
    """A platform that reports what it received and matched, with a minimum size of 5."""

    spec = ConnectorSpec(
        name="reporting",
        kind=Kind.DESTINATION,
        title="Reporting",
        description="An in-memory audience platform that reports match counts.",
        config=NoConfig,
        capabilities=frozenset({Capability.AUDIENCE}),
        accepts=(IdentifierRule(type="email", hashing=Hashing.SHA256),),
        limits=Limits(max_batch_records=4, min_audience_size=5),
    )
    members: ClassVar[set[str]] = set()
    consents: ClassVar[dict[str, dict[str, str]]] = {}

    async def check(self, ctx: ConnectorContext[NoConfig]) -> CheckResult:
        return CheckResult(ok=True, message="in memory")

    async def ensure_audience(
        self, ctx: ConnectorContext[NoConfig], request: AudienceRequest
    ) -> Audience:
        return Audience(id="aud-1", name=request.name, size=len(self.members))

    async def add(
        self, ctx: ConnectorContext[NoConfig], audience: Audience, members: Sequence[Member]
    ) -> BatchResult:
        self.members.update(m.identifiers[0].value for m in members)
        self.consents.update({m.identifiers[0].value: m.consent for m in members})
        # Every other member is someone the platform knows.
        matched = sum(1 for m in members if int(m.identifiers[0].value, 16) % 2 == 0)
        return BatchResult.all_accepted(
            [m.key for m in members], received=len(members), invalid=0, matched=matched
        )

    async def remove(
        self, ctx: ConnectorContext[NoConfig], audience: Audience, members: Sequence[Member]
    ) -> BatchResult:
        self.members.difference_update(m.identifiers[0].value for m in members)
        return BatchResult.all_accepted([m.key for m in members])


class _Plugin:
    @hookimpl
    def register_connectors(self) -> list[type]:
        return [Reporting]


async def world(db: Database, people: int) -> tuple[Plugins, Any, list[int]]:
    Reporting.members, Reporting.consents = set(), {}
    registry = load_plugins(builtins=[_Plugin()], entry_points=False)
    secrets = box()
    ids = await add_people(db, secrets, people)
    await make_segment(db)
    await compute(db)
    await Connections(db, registry, secrets).create(
        name="ads", plugin="reporting", config={}, actor="t"
    )
    await make_push(db, registry, name="vips-to-ads", connection="ads")
    return registry, secrets, ids


async def test_platform_counts_are_recorded_and_give_the_match_rate(db: Database) -> None:
    registry, secrets, _ = await world(db, 10)
    engine = make_engine(db, registry, secrets, {})
    run = await run_sync(engine, "vips-to-ads")
    assert (run.status, run.accepted) == ("succeeded", 10)
    expected = sum(1 for digest in Reporting.members if int(digest, 16) % 2 == 0)
    assert run.details["platform"] == {"received": 10, "invalid": 0, "matched": expected}
    assert run.details["audience"] == {"id": "aud-1", "size": 0}
    [point] = await match_history(db, "ads")
    assert (point.run, point.planned, point.sent, point.accepted) == (run.id, 10, 10, 10)
    assert (point.received, point.matched) == (10, expected)
    assert point.match_rate == round(expected / 10, 4)
    with pytest.raises(NotFoundError):
        await match_history(db, "nope")


async def test_removals_below_the_minimum_degrade_to_add_only(db: Database) -> None:
    registry, secrets, people = await world(db, 6)
    engine = make_engine(db, registry, secrets, {})
    assert (await run_sync(engine, "vips-to-ads")).accepted == 6
    # Three leave and two join: removing three of six would leave 3 < 5.
    await untag(db, people[:3])
    await add_people(db, secrets, 2)
    await compute(db)
    held = await run_sync(engine, "vips-to-ads")
    assert held.status == "partial"
    assert (held.planned, held.accepted, held.failed) == (5, 2, 3)
    assert_reconciles(held)
    assert "removals held" in held.details["warnings"][0]
    assert "minimum of 5" in held.details["warnings"][0]
    assert len(Reporting.members) == 8  # nobody removed, the newcomers added
    # Now at 8 members: removing the 3 leaves 5, which the platform allows.
    again = await run_sync(engine, "vips-to-ads")
    assert (again.status, again.planned, again.accepted) == ("succeeded", 3, 3)
    assert len(Reporting.members) == 5


async def test_members_carry_their_newest_consent_per_purpose(db: Database) -> None:
    registry, secrets, people = await world(db, 3)
    await decide(db, people[:2], "ads", "granted")
    await decide(db, people[1:2], "ads", "withdrawn")
    await decide(db, people[:1], "ad_personalization", "denied")
    engine = make_engine(db, registry, secrets, {})
    assert (await run_sync(engine, "vips-to-ads")).accepted == 3
    by_person = {pid: Reporting.consents[sha256_hex(email_of(pid))] for pid in people}
    assert by_person == {
        people[0]: {"ads": "granted", "ad_personalization": "denied"},
        people[1]: {"ads": "denied"},
        people[2]: {},
    }


class Slow(Reporting):
    """A platform whose uploads are still processing whenever they are asked about."""

    spec = msgspec.structs.replace(Reporting.spec, name="slow", limits=Limits())
    polls: ClassVar[int] = 0

    async def add(
        self, ctx: ConnectorContext[NoConfig], audience: Audience, members: Sequence[Member]
    ) -> BatchResult:
        result = await super().add(ctx, audience, members)
        return msgspec.structs.replace(result, job=PendingJob(id="upload-1"))

    async def poll(self, ctx: ConnectorContext[NoConfig], job: PendingJob) -> JobStatus:
        type(self).polls += 1
        return JobStatus(state=JobState.PENDING)


class _SlowPlugin:
    @hookimpl
    def register_connectors(self) -> list[type]:
        return [Slow]


async def test_a_job_still_processing_counts_as_answered_with_a_warning(db: Database) -> None:
    Reporting.members, Slow.polls = set(), 0
    registry = load_plugins(builtins=[_SlowPlugin()], entry_points=False)
    secrets = box()
    await add_people(db, secrets, 3)
    await make_segment(db)
    await compute(db)
    await Connections(db, registry, secrets).create(name="ads", plugin="slow", config={}, actor="t")
    await make_push(db, registry, name="vips-to-ads", connection="ads")
    run = await run_sync(make_engine(db, registry, secrets, {}), "vips-to-ads")
    assert (run.status, run.accepted, Slow.polls) == ("succeeded", 3, 30)
    assert "still processing job upload-1" in run.details["warnings"][0]
    # Nothing is uploaded again by the next run.
    assert (await run_sync(make_engine(db, registry, secrets, {}), "vips-to-ads")).planned == 0
