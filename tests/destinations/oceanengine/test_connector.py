"""The data-source flow against the strict fake: ensure, add / remove / replace as
uploads and updates, polling the change logs, publishing and pushing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from junction.destinations.oceanengine import OceanEngineAudiences
from junction.destinations.oceanengine.jobs import PARSE_WAIT
from junction.plugins import (
    AudienceRequest,
    JobState,
    Member,
    PermanentFailure,
    PreparedIdentifier,
    RecordStatus,
    ReplaceSession,
)

from ...fakes.oceanengine import DAY, FakeOceanEngine
from .support import context, member_with, phones, ready_audience, settle, users_of

connector = OceanEngineAudiences()


async def test_ensure_audience_creates_one_data_source_and_finds_it_again() -> None:
    fake = FakeOceanEngine(parse_reads=1)
    ctx = context(fake)
    created = await ready_audience(connector, ctx, "high-value customers")
    (source,) = fake.sources.values()
    assert created.id == source.data_source_id
    assert source.name == "high-value customers" and source.kind == "UID"
    assert fake.operations == [("create", 0)]  # from an empty file
    again = await connector.ensure_audience(
        ctx, AudienceRequest(name="high-value customers", existing_id=created.id)
    )
    assert again.id == created.id
    # Once parsed, it has an audience, and the audience list finds it by name.
    fake.finish_parsing()
    by_name = await connector.ensure_audience(ctx, AudienceRequest(name="high-value customers"))
    assert by_name.id == created.id
    assert by_name.data["custom_audience_id"] == source.audience_id
    assert len(fake.sources) == 1


async def test_a_long_segment_name_gets_a_unique_thirty_character_name() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    first = await ready_audience(connector, ctx, "customers who bought twice in the last month")
    second = await ready_audience(connector, ctx, "customers who bought twice in the last year")
    names = [s.name for s in fake.sources.values()]
    assert first.id != second.id and len(set(names)) == 2
    assert all(len(name) == 30 and name.startswith("customers who bought ") for name in names)
    again = await ready_audience(connector, ctx, "customers who bought twice in the last year")
    assert again.id == second.id


async def test_a_forgotten_data_source_is_replaced_by_a_new_one() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    audience = await connector.ensure_audience(
        context(fake), AudienceRequest(name="vips", existing_id="7999999999")
    )
    assert audience.id in fake.sources and audience.id != "7999999999"


async def test_add_uploads_appends_then_publishes_once_parsed() -> None:
    fake = FakeOceanEngine(parse_reads=2)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    members = phones(50)
    result = await connector.add(ctx, audience, members)
    assert [r.key for r in result.results] == [m.key for m in members]
    assert {r.status for r in result.results} == {RecordStatus.ACCEPTED}
    assert (result.received, result.invalid) == (50, 0)
    assert result.job is not None and result.job.data["operation"] == "append"
    assert fake.users() == set()  # nothing applies before the parse
    first = await connector.poll(ctx, result.job)
    assert first.state is JobState.PENDING
    status = await settle(connector, ctx, result.job)
    assert status.state is JobState.SUCCEEDED, status.message
    assert "published" in (status.message or "")
    assert fake.users() == users_of(members)
    assert fake.published() == users_of(members)
    assert fake.operations == [("create", 0), ("append", 50)]


async def test_remove_deletes_exactly_the_members_sent() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    members = phones(10)
    await settle(connector, ctx, (await connector.add(ctx, audience, members)).job)
    fake.advance(DAY)
    result = await connector.remove(ctx, audience, members[:4])
    assert result.job is not None and result.job.data["operation"] == "delete"
    status = await settle(connector, ctx, result.job)
    assert status.state is JobState.SUCCEEDED
    assert fake.users() == users_of(members[4:])
    # Additions may follow in this run: removals leave the day's publish to them.
    assert fake.published() == users_of(members)
    newcomers = phones(2, start=50)
    await settle(connector, ctx, (await connector.add(ctx, audience, newcomers)).job)
    assert fake.published() == fake.users() == users_of(members[4:] + newcomers)


async def test_a_run_of_only_removals_is_published_by_the_next_run() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    members = phones(10)
    await settle(connector, ctx, (await connector.add(ctx, audience, members)).job)
    await settle(connector, ctx, (await connector.remove(ctx, audience, members[:3])).job)
    assert fake.published() == users_of(members)
    fake.advance(DAY)
    again = AudienceRequest(name="vips", existing_id=audience.id)
    await connector.ensure_audience(ctx, again)
    assert fake.published() == fake.users() == users_of(members[3:])


async def test_a_second_publish_within_a_day_is_left_for_later() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    await settle(connector, ctx, (await connector.add(ctx, audience, phones(2))).job)
    status = await settle(connector, ctx, (await connector.add(ctx, audience, phones(1, 9))).job)
    assert status.state is JobState.SUCCEEDED
    assert "publishing was refused" in (status.message or "")
    assert "24 hours" in (status.message or "")
    assert fake.published() == users_of(phones(2))
    assert fake.users() == users_of(phones(2) + phones(1, 9))


async def test_replace_resets_with_the_first_batch_and_publishes_after_the_last() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    await settle(connector, ctx, (await connector.add(ctx, audience, phones(20))).job)
    fake.advance(DAY)
    newcomers = phones(6, start=100)
    first = await connector.replace(
        ctx, audience, newcomers[:3], ReplaceSession(id="s", seq=1, last=False)
    )
    status = await settle(connector, ctx, first.job)
    assert status.state is JobState.SUCCEEDED and "published" not in (status.message or "")
    assert fake.users() == users_of(newcomers[:3])
    assert fake.published() == users_of(phones(20))  # the half-replaced audience stays private
    last = await connector.replace(
        ctx, audience, newcomers[3:], ReplaceSession(id="s", seq=2, last=True)
    )
    await settle(connector, ctx, last.job)
    assert fake.operations[-2:] == [("reset", 3), ("append", 3)]
    assert fake.published() == fake.users() == users_of(newcomers)


async def test_a_replacement_of_only_invalid_members_still_empties_the_audience() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    await settle(connector, ctx, (await connector.add(ctx, audience, phones(5))).job)
    bad = Member(
        key="bad",
        identifiers=(
            PreparedIdentifier(type="phone", value="1", platform_key="MOBILE_HASH_SHA256"),
        ),
    )
    result = await connector.replace(ctx, audience, [bad], ReplaceSession(id="s", seq=1, last=True))
    assert result.results[0].status is RecordStatus.REJECTED
    await settle(connector, ctx, result.job)
    assert fake.users() == set()


async def test_invalid_members_are_rejected_alone_with_a_reason() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    good = phones(2)
    unhashed = Member(
        key="unhashed",
        identifiers=(
            PreparedIdentifier(
                type="phone", value="13800138000", platform_key="MOBILE_HASH_SHA256"
            ),
        ),
    )
    email = Member(
        key="email",
        identifiers=(PreparedIdentifier(type="email", value="a" * 64, platform_key="EMAIL"),),
    )
    result = await connector.add(ctx, audience, [good[0], unhashed, email, good[1]])
    by_key = {r.key: r for r in result.results}
    assert by_key["unhashed"].status is RecordStatus.REJECTED
    assert by_key["unhashed"].code == "INVALID_ID" and "SHA-256" in (
        by_key["unhashed"].reason or ""
    )
    assert by_key["email"].status is RecordStatus.REJECTED
    assert (result.received, result.invalid) == (2, 2)
    await settle(connector, ctx, result.job)
    assert fake.users() == users_of(good)


async def test_a_batch_with_nothing_valid_uploads_nothing() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    calls = sum(fake.calls.values())
    member = member_with("bad", "IDFA", "NOT-LOWER", type="idfa")
    result = await connector.add(ctx, audience, [member])
    assert result.job is None and result.results[0].status is RecordStatus.REJECTED
    assert sum(fake.calls.values()) == calls


async def test_a_failed_parse_fails_the_job() -> None:
    fake = FakeOceanEngine(parse_reads=1)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    fake.finish_parsing()
    fake.fail("parse_failure")
    result = await connector.add(ctx, audience, phones(3))
    status = await settle(connector, ctx, result.job)
    assert status.state is JobState.FAILED and "failed to parse" in (status.message or "")
    assert fake.users() == set()


async def test_a_busy_platform_while_polling_means_ask_again() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    result = await connector.add(ctx, audience, phones(3))
    fake.fail("busy", path="2/dmp/data_source/read/")
    assert result.job is not None
    assert (await connector.poll(ctx, result.job)).state is JobState.PENDING
    fake.fail("http429", path="2/dmp/custom_audience/publish/")
    assert (await connector.poll(ctx, result.job)).state is JobState.PENDING
    assert (await connector.poll(ctx, result.job)).state is JobState.SUCCEEDED
    assert fake.published() == users_of(phones(3))


async def test_publishing_pushes_to_the_configured_advertisers() -> None:
    fake = FakeOceanEngine(parse_reads=0, same_entity=frozenset({1760000000002, 1760000000003}))
    ctx = context(fake, push_to_advertiser_ids=["1760000000002", "1760000000003"])
    audience = await ready_audience(connector, ctx)
    status = await settle(connector, ctx, (await connector.add(ctx, audience, phones(2))).job)
    assert "pushed to 2 advertiser(s)" in (status.message or "")
    (source,) = fake.sources.values()
    assert source.pushed_to == {1760000000002, 1760000000003}


async def test_a_refused_push_does_not_undo_the_change() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake, push_to_advertiser_ids=["1760000000999"])
    audience = await ready_audience(connector, ctx)
    status = await settle(connector, ctx, (await connector.add(ctx, audience, phones(2))).job)
    assert status.state is JobState.SUCCEEDED
    assert "pushing was refused" in (status.message or "")
    assert "same legal entity" in (status.message or "")
    assert fake.published() == users_of(phones(2))


async def test_a_did_data_source_is_created_when_configured() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake, data_source_type="DID")
    audience = await ready_audience(connector, ctx)
    assert fake.sources[audience.id].kind == "DID"
    # Phones are not device ids: the platform refuses the whole update.
    with pytest.raises(PermanentFailure, match="device ids only") as refused:
        await connector.add(ctx, audience, phones(1))
    assert refused.value.code == "40000"


async def test_check_reports_the_advertiser() -> None:
    fake = FakeOceanEngine(parse_reads=0)
    ctx = context(fake)
    await ready_audience(connector, ctx)
    result = await connector.check(ctx)
    assert result.ok and "1760000000001" in result.message and result.details == {"audiences": 1}


async def test_a_slow_parse_counts_as_delivered_and_the_next_run_publishes_it() -> None:
    fake = FakeOceanEngine(parse_reads=1000)  # "an hour": longer than a run polls
    ctx = context(fake)
    audience = await ready_audience(connector, ctx)
    first = await connector.add(ctx, audience, phones(2))
    fake.finish_parsing()
    await settle(connector, ctx, first.job)
    fake.advance(DAY)
    result = await connector.add(ctx, audience, phones(3, start=10))
    assert result.job is not None
    assert (await connector.poll(ctx, result.job)).state is JobState.PENDING
    later = ctx.now() + PARSE_WAIT + timedelta(seconds=1)
    ctx.now = lambda: later  # type: ignore[method-assign]
    status = await connector.poll(ctx, result.job)
    assert status.state is JobState.SUCCEEDED and "still parsing" in (status.message or "")
    assert fake.published() == users_of(phones(2))
    # The parse ends after the run; the next run's ensure_audience publishes it.
    fake.finish_parsing()
    publishes = fake.calls["2/dmp/custom_audience/publish/"]
    await connector.ensure_audience(ctx, AudienceRequest(name="vips", existing_id=audience.id))
    assert fake.published() == users_of(phones(2) + phones(3, start=10))
    # Nothing new since: the next run does not spend the day's publish.
    fake.advance(DAY)
    await connector.ensure_audience(ctx, AudienceRequest(name="vips", existing_id=audience.id))
    assert fake.calls["2/dmp/custom_audience/publish/"] == publishes + 1
