"""BigQuery export pulls: one events_YYYYMMDD table per day, paged, polled, checkpointed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from junction.plugins import (
    AuthFailed,
    Checkpoint,
    ConfigInvalid,
    EventRecord,
    MemoryTokenStore,
    RateLimited,
    Retryable,
)
from junction.sources.ga4 import GA4Source

from .conftest import EMAIL, TODAY, Harness, bigquery_config, config, export_row

DAY = TODAY - timedelta(days=5)  # settled: older than the 3-day refresh window
QUERIES = "/bigquery/v2/projects/acme-analytics/queries"


def _events(items: list) -> list:
    return [i.event for i in items if isinstance(i, EventRecord)]


def _checkpoints(items: list) -> list[dict]:
    return [i.state for i in items if isinstance(i, Checkpoint)]


def _only(harness: Harness, day=DAY, rows=None) -> dict:
    harness.fake.export_tables = {day: rows or [export_row(day)]}
    return bigquery_config(start_date=day.isoformat())


async def test_an_export_row_becomes_a_canonical_event(harness: Harness) -> None:
    row = export_row(DAY, params={"currency": "USD", "value": 9.99, "quantity": 2})
    items = await harness.read(_only(harness, rows=[row]))
    (event,) = _events(items)
    assert event.type == "track"
    assert event.event == "purchase"
    assert event.user_id == "u-1"
    assert event.anonymous_id == "1234567.7654321"
    assert event.properties == {"currency": "USD", "value": 9.99, "quantity": 2}
    assert event.timestamp == datetime(DAY.year, DAY.month, DAY.day, 8, tzinfo=UTC) + timedelta(
        microseconds=123
    )
    assert event.context["traits"] == {"tier": "gold"}
    assert event.context["ga4"] == {
        "event_date": f"{DAY:%Y%m%d}",
        "platform": "WEB",
        "stream_id": "555",
    }
    assert event.message_id.startswith("ga4-")


async def test_page_views_become_page_calls(harness: Harness) -> None:
    row = export_row(DAY, name="page_view", params={"page_title": "Pricing", "page_location": "/p"})
    (event,) = _events(await harness.read(_only(harness, rows=[row])))
    assert (event.type, event.name, event.event) == ("page", "Pricing", None)


async def test_the_query_is_standard_sql_on_one_days_table(harness: Harness) -> None:
    await harness.read(_only(harness))
    query = harness.fake.queries[0]  # later days' tables are not exported yet
    assert query["useLegacySql"] is False
    assert query["maxResults"] == 2
    assert query["query"].endswith(f"FROM `acme-analytics.analytics_123456789.events_{DAY:%Y%m%d}`")


async def test_pages_follow_page_tokens_with_a_checkpoint_after_each(harness: Harness) -> None:
    rows = [export_row(DAY, second=s) for s in range(5)]
    items = await harness.read(_only(harness, rows=rows))
    assert len(_events(items)) == 5
    assert len({e.message_id for e in _events(items)}) == 5
    assert [c for c in harness.fake.calls if c[1].startswith(QUERIES)][:3] == [
        ("POST", QUERIES),
        ("GET", f"{QUERIES}/job_2"),
        ("GET", f"{QUERIES}/job_2"),
    ]
    states = _checkpoints(items)
    assert [s.get("resume", {}).get("job_id") for s in states[:3]] == ["job_2", "job_2", None]
    assert states[2] == {"complete_through": str(DAY)}


async def test_an_unfinished_query_is_polled_until_complete(harness: Harness) -> None:
    harness.fake.pending_polls = 3
    items = await harness.read(_only(harness))
    assert len(_events(items)) == 1
    assert harness.fake.calls.count(("GET", f"{QUERIES}/job_2")) == 3


async def test_a_read_resumes_the_same_result_from_its_page_token(harness: Harness) -> None:
    raw = _only(harness, rows=[export_row(DAY, second=s) for s in range(5)])
    first = await harness.read(raw)
    middle = _checkpoints(first)[0]
    harness.fake.queries.clear()
    resumed = await harness.read(raw, middle)
    # No new query of that day: the job's next pages were read.
    assert not any(f"events_{DAY:%Y%m%d}" in q["query"] for q in harness.fake.queries)
    assert [e.message_id for e in _events(resumed)] == [e.message_id for e in _events(first)][2:]


async def test_a_dropped_result_means_querying_the_day_again(harness: Harness) -> None:
    raw = _only(harness, rows=[export_row(DAY, second=s) for s in range(5)])
    first = await harness.read(raw)
    harness.fake.drop_jobs()
    again = await harness.read(raw, _checkpoints(first)[0])
    # The whole day again, with the same message ids: duplicates the hub drops.
    assert [e.message_id for e in _events(again)] == [e.message_id for e in _events(first)]


async def test_recent_days_are_read_again_with_the_same_message_ids(harness: Harness) -> None:
    recent = TODAY - timedelta(days=1)
    raw = _only(harness, day=recent)
    first = await harness.read(raw)
    assert _checkpoints(first)[-1] == {}  # nothing settled yet
    second = await harness.read(raw, _checkpoints(first)[-1])
    assert [e.message_id for e in _events(second)] == [e.message_id for e in _events(first)]


async def test_a_table_not_exported_yet_ends_the_read(harness: Harness) -> None:
    older = TODAY - timedelta(days=3)
    harness.fake.export_tables = {older: [export_row(older)]}  # yesterday's not there yet
    items = await harness.read(bigquery_config(start_date=older.isoformat()))
    assert len(_events(items)) == 1
    asked = [q["query"][-9:-1] for q in harness.fake.queries]
    assert asked == [f"{older:%Y%m%d}", f"{older + timedelta(days=1):%Y%m%d}"]
    assert "not in BigQuery yet" in harness.caplog.text


async def test_an_old_missing_table_is_a_gap_skipped_with_a_warning(harness: Harness) -> None:
    gap = DAY - timedelta(days=1)
    harness.fake.export_tables = {DAY: [export_row(DAY)]}
    items = await harness.read(bigquery_config(start_date=gap.isoformat()))
    assert len(_events(items)) == 1
    assert f"no table for {gap}" in harness.caplog.text
    assert _checkpoints(items)[0] == {"complete_through": str(gap)}


async def test_rows_without_any_user_are_skipped_and_counted(harness: Harness) -> None:
    rows = [export_row(DAY), export_row(DAY, user_id=None, pseudo_id=None, second=1)]
    items = await harness.read(_only(harness, rows=rows))
    assert len(_events(items)) == 1
    assert "skipped 1 events without user_id or user_pseudo_id" in harness.caplog.text


@pytest.mark.parametrize(
    ("fault", "error"), [("403_quota", RateLimited), ("500", Retryable), ("timeout", Retryable)]
)
async def test_quota_and_server_errors_are_retryable(
    harness: Harness, fault: str, error: type[Retryable]
) -> None:
    harness.fake.fail_next(fault)
    with pytest.raises(error) as caught:
        await harness.read(_only(harness))
    assert type(caught.value) is error


async def test_a_quota_error_waits_a_minute_and_names_the_reason(harness: Harness) -> None:
    harness.fake.fail_next("403_quota")
    with pytest.raises(RateLimited, match="Quota exceeded") as caught:
        await harness.read(_only(harness))
    assert caught.value.retry_after == 60
    assert caught.value.code == "PERMISSION_DENIED"


async def test_no_access_to_bigquery_names_the_service_account(harness: Harness) -> None:
    harness.fake.bigquery_access = False
    with pytest.raises(AuthFailed, match="Job User") as caught:
        await harness.read(_only(harness))
    assert EMAIL in caught.value.message


async def test_a_missing_dataset_is_a_config_error_on_that_field(harness: Harness) -> None:
    raw = {**_only(harness), "bigquery_dataset": "analytics_999"}
    with pytest.raises(ConfigInvalid, match="analytics_999 was not found") as caught:
        await harness.read(raw)
    assert caught.value.field == "bigquery_dataset"


async def test_the_bigquery_mode_needs_a_project(harness: Harness) -> None:
    raw = {**_only(harness)}
    del raw["bigquery_project"]
    with pytest.raises(ConfigInvalid) as caught:
        await harness.read(raw)
    assert caught.value.field == "bigquery_project"


async def test_tokens_are_cached_per_scope(harness: Harness) -> None:
    # One connection's token store serves both APIs: a Data API token (analytics scope)
    # must not be sent to BigQuery, which the fake refuses with insufficient scopes.
    tokens = MemoryTokenStore()
    harness.fake.export_tables = {DAY: [export_row(DAY)]}
    for raw in (config(), bigquery_config()):
        ctx = harness.context(raw)
        ctx.tokens = tokens
        assert (await GA4Source().check(ctx)).ok
    assert harness.fake.token_requests == 2
