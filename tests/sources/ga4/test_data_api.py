"""Data API pulls: one day per runReport, paged, checkpointed, mapped to people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from junction.core.model import Identifier, IdentifierType
from junction.plugins import (
    AuthFailed,
    Checkpoint,
    ConfigInvalid,
    EventRecord,
    PermanentFailure,
    ProfileRecord,
    RateLimited,
    Retryable,
)

from ...fakes.ga4 import ReportRow
from .conftest import EMAIL, TODAY, Harness, config, person

SETTLED = TODAY - timedelta(days=4)  # refresh_days=3: today and the 3 days before change


def _records(items: list) -> list:
    return [i for i in items if not isinstance(i, Checkpoint)]


def _checkpoints(items: list) -> list[dict]:
    return [i.state for i in items if isinstance(i, Checkpoint)]


async def test_each_day_is_one_report_of_that_day_paged_by_string_offsets(
    harness: Harness,
) -> None:
    harness.fake.report_rows = {SETTLED: [person(f"u{n}") for n in range(5)]}
    await harness.read(config(start_date=SETTLED.isoformat()))
    bodies = harness.fake.report_bodies
    first_day = [b for b in bodies if b["dateRanges"][0]["startDate"] == str(SETTLED)]
    assert [(b["offset"], b["limit"]) for b in first_day] == [("0", "2"), ("2", "2"), ("4", "2")]
    body = first_day[0]
    assert body["dateRanges"] == [{"startDate": str(SETTLED), "endDate": str(SETTLED)}]
    assert body["dimensions"] == [{"name": "customUser:user_id"}, {"name": "customUser:tier"}]
    assert body["metrics"] == [{"name": "sessions"}, {"name": "purchaseRevenue"}]
    # Ordered by every dimension, so offsets page through a stable order.
    assert [o["dimension"]["dimensionName"] for o in body["orderBys"]] == [
        "customUser:user_id",
        "customUser:tier",
    ]
    # Every day from the start date to today is asked for.
    days = sorted({b["dateRanges"][0]["startDate"] for b in harness.fake.report_bodies})
    assert days == [str(SETTLED + timedelta(days=n)) for n in range(5)]


async def test_rows_become_profiles_with_typed_traits(harness: Harness) -> None:
    harness.fake.report_rows = {SETTLED: [person("u1", "silver", sessions=3, revenue=19.5)]}
    items = await harness.read(config(start_date=SETTLED.isoformat()))
    (record,) = _records(items)
    assert record == ProfileRecord(
        identifiers=(Identifier(IdentifierType.USER_ID, "u1"),),
        observed_at=datetime.combine(SETTLED + timedelta(days=1), datetime.min.time(), UTC),
        traits={
            "ga4_tier": "silver",
            "ga4_sessions": 3,
            "ga4_purchase_revenue": 19.5,
            "ga4_last_active_date": str(SETTLED),
        },
    )


async def test_settled_days_checkpoint_their_offset_then_the_day(harness: Harness) -> None:
    harness.fake.report_rows = {SETTLED: [person(f"u{n}") for n in range(5)]}
    items = await harness.read(config(start_date=SETTLED.isoformat()))
    states = _checkpoints(items)
    assert states[:3] == [
        {"resume": {"date": str(SETTLED), "offset": 2}},
        {"resume": {"date": str(SETTLED), "offset": 4}},
        {"complete_through": str(SETTLED)},
    ]
    # Days still inside the refresh window never move complete_through.
    assert all(s["complete_through"] == str(SETTLED) for s in states[3:])


async def test_a_read_resumes_at_the_checkpointed_offset(harness: Harness) -> None:
    harness.fake.report_rows = {SETTLED: [person(f"u{n}") for n in range(5)]}
    state = {"resume": {"date": str(SETTLED), "offset": 4}}
    items = await harness.read(config(start_date=SETTLED.isoformat(), refresh_days=30), state)
    assert harness.fake.report_bodies[0]["offset"] == "4"
    assert [r.identifiers[0].value for r in _records(items)] == ["u4"]


async def test_a_completed_day_is_not_asked_for_again(harness: Harness) -> None:
    older = SETTLED - timedelta(days=1)
    harness.fake.report_rows = {older: [person("u1")], SETTLED: [person("u2")]}
    state = {"complete_through": str(older)}
    await harness.read(config(start_date=older.isoformat()), state)
    days = {b["dateRanges"][0]["startDate"] for b in harness.fake.report_bodies}
    assert str(older) not in days


async def test_recent_days_are_pulled_again_but_unchanged_pages_are_not_yielded(
    harness: Harness,
) -> None:
    harness.fake.report_rows = {TODAY - timedelta(days=1): [person("a"), person("b"), person("c")]}
    raw = config(start_date=(TODAY - timedelta(days=1)).isoformat())
    first = await harness.read(raw)
    assert len(_records(first)) == 3
    again = await harness.read(raw, _checkpoints(first)[-1])
    assert _records(again) == []
    # Late data changes the second page (person c): only that page comes again.
    harness.fake.report_rows[TODAY - timedelta(days=1)][2] = person("c", sessions=4)
    changed = await harness.read(raw, _checkpoints(again)[-1])
    assert [(r.identifiers[0].value, r.traits["ga4_sessions"]) for r in _records(changed)] == [
        ("c", 4)
    ]


async def test_rows_nobody_can_be_linked_to_are_skipped_and_counted(harness: Harness) -> None:
    unattributed = ReportRow(dimensions={"customUser:tier": "gold"}, metrics={"sessions": 9})
    harness.fake.report_rows = {SETTLED: [person("u1"), unattributed]}
    items = await harness.read(config(start_date=SETTLED.isoformat()))
    assert [r.identifiers[0].value for r in _records(items)] == ["u1"]
    assert f"GA4 {SETTLED}: skipped 1 report rows without any identifier" in harness.caplog.text


async def test_anonymous_ids_come_from_a_client_id_dimension(harness: Harness) -> None:
    harness.fake.custom_dimensions = ("customUser:user_id", "customUser:client_id")
    harness.fake.report_rows = {
        SETTLED: [
            ReportRow(dimensions={"customUser:client_id": "111.222"}, metrics={"sessions": 1})
        ]
    }
    raw = config(
        start_date=SETTLED.isoformat(),
        identifiers={"user_id": "customUser:user_id", "anonymous_id": "customUser:client_id"},
        dimensions=[],
        metrics=["sessions"],
    )
    (record,) = _records(await harness.read(raw))
    assert record.identifiers == (Identifier(IdentifierType.ANONYMOUS_ID, "111.222"),)


async def test_events_mode_makes_one_event_per_person_and_settled_day(harness: Harness) -> None:
    harness.fake.report_rows = {
        SETTLED: [person("u1", sessions=2, revenue=5.0)],
        TODAY: [person("u1")],
    }
    raw = config(start_date=SETTLED.isoformat(), records="events")
    first = _records(await harness.read(raw))
    (record,) = first  # today is not settled: no event for it yet
    assert isinstance(record, EventRecord)
    event = record.event
    assert (event.type, event.event, event.user_id) == ("track", "GA4 Daily Activity", "u1")
    assert event.timestamp == datetime.combine(SETTLED, datetime.min.time(), UTC)
    assert event.properties == {
        "ga4_tier": "gold",
        "ga4_sessions": 2,
        "ga4_purchase_revenue": 5.0,
        "date": str(SETTLED),
    }
    # Reading the same day again gives the same message id: a duplicate the hub drops.
    again = _records(await harness.read(raw))
    assert [r.event.message_id for r in again] == [event.message_id]


@pytest.mark.parametrize(
    ("fault", "error", "retry_after"),
    [
        ("429", RateLimited, 60.0),
        ("500", Retryable, None),
        ("503", Retryable, 7.0),
        ("timeout", Retryable, None),
    ],
)
async def test_quota_and_server_failures_are_retryable(
    harness: Harness, fault: str, error: type[Retryable], retry_after: float | None
) -> None:
    harness.fake.report_rows = {SETTLED: [person("u1")]}
    harness.fake.fail_next(fault)
    with pytest.raises(error) as caught:
        await harness.read(config(start_date=SETTLED.isoformat()))
    assert type(caught.value) is error
    assert caught.value.retry_after == retry_after


async def test_a_quota_error_names_the_quota(harness: Harness) -> None:
    harness.fake.fail_next("429")
    with pytest.raises(RateLimited, match="Exhausted property tokens per hour") as caught:
        await harness.read(config(start_date=SETTLED.isoformat()))
    assert caught.value.code == "RESOURCE_EXHAUSTED"


async def test_no_access_to_the_property_names_the_service_account(harness: Harness) -> None:
    harness.fake.analytics_access = False
    with pytest.raises(AuthFailed, match="sufficient permissions") as caught:
        await harness.read(config())
    assert EMAIL in caught.value.message
    assert caught.value.code == "PERMISSION_DENIED"


async def test_an_unknown_dimension_is_a_config_error_on_that_field(harness: Harness) -> None:
    with pytest.raises(ConfigInvalid, match="customUser:plan is not a valid dimension") as caught:
        await harness.read(config(dimensions=["customUser:plan"]))
    assert caught.value.field == "dimensions"


async def test_an_unknown_metric_is_a_config_error_on_that_field(harness: Harness) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        await harness.read(config(metrics=["bounceRateX"]))
    assert caught.value.field == "metrics"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"identifiers": {}}, "identifiers", "at least one identifier"),
        (
            {"identifiers": {"wechat_openid": "customUser:openid"}},
            "identifiers",
            "needs a scope",
        ),
        (
            {
                "identifiers": {"user_id": "customUser:user_id", "anonymous_id": "customUser:cid"},
                "dimensions": ["country", "city", "platform", "eventName", "a", "b", "c", "d"],
            },
            "dimensions",
            "at most 9 dimensions",
        ),
        ({"metrics": ["sessions", "sessions"]}, "metrics", "appears twice"),
        (
            {"records": "events", "identifiers": {"device_id": "customUser:device"}},
            "identifiers",
            "user_id or anonymous_id",
        ),
    ],
)
async def test_impossible_reports_are_refused_before_any_call(
    harness: Harness, overrides: dict, field: str, message: str
) -> None:
    with pytest.raises(ConfigInvalid, match=message) as caught:
        await harness.read(config(**overrides))
    assert caught.value.field == field
    assert harness.fake.report_bodies == []


async def test_a_corrupt_state_is_refused_with_a_way_out(harness: Harness) -> None:
    with pytest.raises(PermanentFailure, match="reset the sync's state"):
        await harness.read(config(), {"complete_through": "yesterday"})
