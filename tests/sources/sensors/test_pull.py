"""Pulling history from the Sensors SQL query API: windows, checkpoints, errors, check."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import pytest

from junction.plugins import (
    AuthFailed,
    Checkpoint,
    ConfigInvalid,
    ConnectorContext,
    EventRecord,
    PermanentFailure,
    RateLimited,
    Retryable,
)
from junction.sources.sensors import SensorsConfig, SensorsSource
from tests.fakes.sensors import FakeSensors

SECRET = "sa-secret-5f2a9c"
NOW = datetime(2024, 5, 3, 12, 0, tzinfo=UTC)
# 2024-05-01 00:00 in Asia/Shanghai.
START_MS = int(datetime(2024, 4, 30, 16, 0, tzinfo=UTC).timestamp() * 1000)
HOUR_MS = 3_600_000


class FrozenContext(ConnectorContext[SensorsConfig]):
    def now(self) -> datetime:
        return NOW


def config(**changes: Any) -> SensorsConfig:
    raw: dict[str, Any] = {
        "project": "shop",
        "api_url": "https://sa.example.com:8107",
        "api_secret": SECRET,
        "history_start": "2024-05-01",
        **changes,
    }
    return msgspec.convert(raw, SensorsConfig)


def event(at_ms: int, name: str = "BuyProduct", who: str = "u-1") -> dict[str, Any]:
    return {
        "type": "track",
        "event": name,
        "distinct_id": who,
        "time": at_ms,
        "properties": {"$is_login_id": True, "amount": 99},
    }


def fake(events: Sequence[dict[str, Any]] = ()) -> FakeSensors:
    return FakeSensors(SECRET, projects=("shop",), events=list(events))


def context(
    platform: FakeSensors, state: dict[str, Any] | None = None, **changes: Any
) -> FrozenContext:
    return FrozenContext(
        connection="sensors-test",
        config=config(**changes),
        state=state,
        transport=platform.transport(),
    )


async def read(ctx: ConnectorContext[SensorsConfig]) -> list[Any]:
    return [item async for item in SensorsSource().read(ctx)]


async def test_history_is_read_in_daily_windows_with_a_checkpoint_after_each() -> None:
    platform = fake([event(START_MS + HOUR_MS), event(START_MS + 30 * HOUR_MS, "Refund")])
    items = await read(context(platform))
    kinds = [type(item).__name__ for item in items]
    # 1 May, 2 May (the refund), 3 May until 12:00 UTC less the 10 minutes of settling.
    assert kinds == ["EventRecord", "Checkpoint", "EventRecord", "Checkpoint", "Checkpoint"]
    records = [item for item in items if isinstance(item, EventRecord)]
    assert [(r.event.event, r.event.user_id) for r in records] == [
        ("BuyProduct", "u-1"),
        ("Refund", "u-1"),
    ]
    last = items[-1]
    assert isinstance(last, Checkpoint)
    assert last.state == {"until": "2024-05-03T11:50:00+00:00"}
    assert json.loads(json.dumps(last.state)) == last.state
    # The windows are written in the project's time zone, partition bounds included.
    assert [(q.start, q.end, q.limit) for q in platform.queries] == [
        (datetime(2024, 4, 30, 16, tzinfo=UTC), datetime(2024, 5, 1, 16, tzinfo=UTC), 10_000),
        (datetime(2024, 5, 1, 16, tzinfo=UTC), datetime(2024, 5, 2, 16, tzinfo=UTC), 10_000),
        (datetime(2024, 5, 2, 16, tzinfo=UTC), datetime(2024, 5, 3, 11, 50, tzinfo=UTC), 10_000),
    ]


async def test_a_read_resumes_after_its_checkpoint() -> None:
    platform = fake([event(START_MS + HOUR_MS), event(START_MS + 30 * HOUR_MS, "Refund")])
    state = {"until": "2024-05-01T16:00:00+00:00"}
    items = await read(context(platform, state=state))
    names = [i.event.event for i in items if isinstance(i, EventRecord)]
    assert names == ["Refund"]
    assert platform.queries[0].start == datetime(2024, 5, 1, 16, tzinfo=UTC)


async def test_reading_again_yields_the_same_message_ids() -> None:
    platform = fake([event(START_MS + HOUR_MS)])
    first = [i for i in await read(context(platform)) if isinstance(i, EventRecord)]
    again = [i for i in await read(context(platform)) if isinstance(i, EventRecord)]
    assert [r.event.message_id for r in first] == [r.event.message_id for r in again]


async def test_a_full_page_splits_the_window_and_loses_nothing() -> None:
    # Five events in one hour, three rows per query: the day is halved until it fits.
    times = [START_MS + HOUR_MS + minute * 60_000 for minute in range(5)]
    platform = fake([event(at, who=f"u-{n}") for n, at in enumerate(times)])
    items = await read(context(platform, page_size=3))
    who = [i.event.user_id for i in items if isinstance(i, EventRecord)]
    assert sorted(who) == [f"u-{n}" for n in range(5)]
    assert len(who) == 5  # each once: a cut page is never yielded
    ends = [datetime.fromisoformat(i.state["until"]) for i in items if isinstance(i, Checkpoint)]
    assert ends == sorted(ends)
    assert all(q.end - q.start <= timedelta(hours=24) for q in platform.queries)
    assert min(q.end - q.start for q in platform.queries) < timedelta(hours=1)


async def test_more_events_in_one_second_than_a_page_is_a_clear_failure() -> None:
    platform = fake([event(START_MS + HOUR_MS, who=f"u-{n}") for n in range(3)])
    with pytest.raises(PermanentFailure, match="raise page_size"):
        await read(context(platform, page_size=2))


@pytest.mark.parametrize(
    ("fault", "error", "retry_after"),
    [
        ("429", RateLimited, 7.0),
        ("500", Retryable, None),
        ("503", Retryable, 7.0),
        ("timeout", Retryable, None),
    ],
)
async def test_transient_failures_are_retryable(
    fault: str, error: type[Exception], retry_after: float | None
) -> None:
    platform = fake([event(START_MS + HOUR_MS)])
    platform.fail_next(fault, retry_after=None if fault in ("500", "timeout") else 7)
    with pytest.raises(error) as caught:
        await read(context(platform))
    assert getattr(caught.value, "retry_after", None) == retry_after
    assert SECRET not in str(caught.value)


async def test_an_expired_or_wrong_secret_is_auth_failed() -> None:
    platform = fake([event(START_MS + HOUR_MS)])
    platform.fail_next("auth")
    with pytest.raises(AuthFailed, match="API_SECRET"):
        await read(context(platform))
    platform.rotate_secret("sa-secret-new-77")
    with pytest.raises(AuthFailed) as caught:
        await read(context(platform))
    assert SECRET not in caught.value.message


async def test_an_unknown_project_is_a_permanent_failure() -> None:
    platform = FakeSensors(SECRET, projects=("default",))
    with pytest.raises(PermanentFailure, match="does not exist"):
        await read(context(platform))


async def test_a_malformed_exported_event_names_the_field() -> None:
    platform = fake([{**event(START_MS + HOUR_MS), "distinct_id": ""}])
    with pytest.raises(PermanentFailure, match=r"exported event 1 .*\.distinct_id"):
        await read(context(platform))


async def test_read_needs_the_pull_settings() -> None:
    with pytest.raises(ConfigInvalid) as caught:
        await read(context(fake(), api_url="", api_secret="", history_start=None))
    assert caught.value.field == "api_url"
    with pytest.raises(ConfigInvalid) as caught:
        await read(context(fake(), history_start=None))
    assert caught.value.field == "history_start"


# --- check --------------------------------------------------------------------------------


async def test_check_runs_one_cheap_query() -> None:
    platform = fake()
    result = await SensorsSource().check(context(platform))
    assert result.ok, result.message
    [query] = platform.queries
    assert query.limit == 1
    assert query.end - query.start == timedelta(hours=1)


async def test_check_of_a_receive_only_connection_needs_no_platform() -> None:
    platform = fake()
    ctx = context(platform, api_url="", api_secret="", history_start=None)
    result = await SensorsSource().check(ctx)
    assert result.ok
    assert "/hooks/sensors/sa?project=shop&token=<write key>" in result.message
    assert platform.requests == 0


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"api_url": ""}, "api_url", "api_url is empty"),
        ({"api_secret": ""}, "api_secret", "api_secret is required"),
        ({"history_start": None}, "history_start", "history_start is required"),
        ({"timezone": "Mars/Olympus"}, "timezone", "not an IANA time zone"),
    ],
)
async def test_check_names_the_config_field_to_fix(
    changes: dict[str, Any], field: str, words: str
) -> None:
    result = await SensorsSource().check(context(fake(), **changes))
    assert not result.ok
    assert words in result.message
    assert result.details == {"field": field}


async def test_check_with_a_wrong_secret_fails_without_leaking_it() -> None:
    platform = FakeSensors("sa-the-right-one", projects=("shop",))
    result = await SensorsSource().check(context(platform))
    assert not result.ok
    assert "API_SECRET" in result.message
    assert SECRET not in result.message


def test_the_config_refuses_a_bad_url_and_sizes() -> None:
    for bad in ({"api_url": "sa.example.com"}, {"page_size": 20_000}, {"window_hours": 0}):
        with pytest.raises(msgspec.ValidationError):
            config(**bad)
    assert config(history_start="2024-05-01").history_start == date(2024, 5, 1)
