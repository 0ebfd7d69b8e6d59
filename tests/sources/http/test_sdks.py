"""The real Segment and RudderStack Python SDKs, sending to the hub over real HTTP.

The hub runs in uvicorn on a free port, in a thread with its own event loop and its
own connection to the test's database. What each SDK sends (both post to /v1/batch;
analytics-python uncompressed by default and gzip on request, rudder-sdk-python gzip,
the write key as the Basic username and, for Segment, also as ``writeKey`` in the
body) is whatever the installed SDK does: nothing here imitates it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import rudderstack.analytics as rudder_analytics
import segment.analytics as segment_analytics
import uvicorn
from rudderstack.analytics.client import Client as RudderClient
from segment.analytics.client import Client as SegmentClient

from junction.admin.app import create_app
from junction.core.settings import Settings
from junction.plugins.manager import Plugins

AT = datetime(2024, 5, 1, 8, 30, 15, 123000, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def hub_url(settings: Settings, plugins: Plugins) -> Iterator[str]:
    """The hub in a real uvicorn server; its own database engine, in its own loop."""
    app = create_app(settings, plugins=plugins)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


class Errors(list[Any]):
    """Collects what an SDK's consumer reports through ``on_error``."""

    def __call__(self, error: Any, batch: Any) -> None:
        self.append(error)


def send_all(sdk: Any, prefix: str) -> None:
    """Make every call once, and the track call twice (same messageId)."""
    for _ in range(2):
        sdk.track(
            "u-1",
            "Order Completed",
            {"revenue": 99.5, "currency": "CNY"},
            timestamp=AT,
            message_id=f"{prefix}-track",
        )
    sdk.identify("u-1", {"email": "ada@example.com"}, timestamp=AT, message_id=f"{prefix}-id")
    sdk.page(
        "u-1", "Docs", "Pricing", {"path": "/pricing"}, timestamp=AT, message_id=f"{prefix}-pg"
    )
    sdk.screen("u-1", None, "Cart", timestamp=AT, message_id=f"{prefix}-sc")
    sdk.group("u-1", "acme", {"plan": "pro"}, timestamp=AT, message_id=f"{prefix}-gr")
    sdk.alias("anon-1", "u-1", timestamp=AT, message_id=f"{prefix}-al")


def check_rows(rows: list[Any], prefix: str, library: str) -> dict[str, Any]:
    by_id = {row.message_id: row for row in rows}
    assert sorted(by_id) == sorted(
        f"{prefix}-{suffix}" for suffix in ("track", "id", "pg", "sc", "gr", "al")
    )
    assert len(rows) == 6  # the repeated track call was stored once
    track = by_id[f"{prefix}-track"]
    assert (track.type, track.name, track.user_id) == ("track", "Order Completed", "u-1")
    assert track.properties == {"revenue": 99.5, "currency": "CNY"}
    assert track.context["library"]["name"] == library
    for row in rows:
        assert row.user_id == "u-1"
        assert row.original_timestamp == AT
        assert row.sent_at is not None
        # Same clock on both sides: the skew correction moves the time only by
        # however long the SDK took between stamping and sending.
        assert abs(row.timestamp - AT) < timedelta(seconds=30)
        assert row.received_at > AT
        assert row.resolution in (0, 1)  # the hub's worker may have mapped it already
    page = by_id[f"{prefix}-pg"]
    assert (page.type, page.name, page.properties) == (
        "page",
        "Pricing",
        {"path": "/pricing", "category": "Docs"},
    )
    assert (by_id[f"{prefix}-sc"].type, by_id[f"{prefix}-sc"].name) == ("screen", "Cart")
    assert (by_id[f"{prefix}-gr"].group_id, by_id[f"{prefix}-gr"].traits) == (
        "acme",
        {"plan": "pro"},
    )
    assert by_id[f"{prefix}-al"].previous_id == "anon-1"
    return by_id


@pytest.fixture
def segment_module(hub_url: str, write_key: str) -> Iterator[Errors]:
    """The module-level Segment API, as its README configures it."""
    errors = Errors()
    segment_analytics.write_key = write_key
    segment_analytics.host = hub_url
    segment_analytics.on_error = errors
    segment_analytics.max_retries = 1
    yield errors
    segment_analytics.shutdown()
    segment_analytics.default_client = None


async def test_segment_module_api_batches_through_its_consumer(
    segment_module: Errors, stored: Any
) -> None:
    def run() -> None:
        send_all(segment_analytics, "seg")
        segment_analytics.flush()

    await asyncio.to_thread(run)
    assert segment_module == []
    by_id = check_rows(await stored.events(), "seg", "analytics-python")
    # End to end: the running hub maps every call of the SDK's user to one profile.
    assert len({row.profile_id for row in await stored.resolved()}) == 1
    assert by_id["seg-id"].traits == {"email": "ada@example.com"}
    assert await stored.counters() == {"accepted": 6, "duplicates": 1}


async def test_segment_client_in_sync_mode_with_gzip(
    hub_url: str, write_key: str, stored: Any
) -> None:
    errors = Errors()
    client = SegmentClient(
        write_key, host=hub_url, sync_mode=True, gzip=True, on_error=errors, max_retries=1
    )
    await asyncio.to_thread(send_all, client, "segz")
    assert errors == []
    check_rows(await stored.events(), "segz", "analytics-python")


async def test_segment_with_a_wrong_key_is_refused_and_nothing_stored(
    hub_url: str, write_key: str, stored: Any
) -> None:
    client = SegmentClient("jk_wrong", host=hub_url, sync_mode=True, max_retries=1)
    with pytest.raises(Exception, match="401") as caught:
        await asyncio.to_thread(client.track, "u-1", "Signed Up")
    # The SDK reads the hub's error shape as text: a 4xx it does not retry.
    assert caught.value.status == 401  # type: ignore[attr-defined]
    assert "invalid_write_key" in caught.value.message  # type: ignore[attr-defined]
    assert await stored.events() == []


@pytest.fixture
def rudder_module(hub_url: str, write_key: str) -> Iterator[Errors]:
    """The module-level RudderStack API, configured as its docs say (dataPlaneUrl)."""
    errors = Errors()
    rudder_analytics.write_key = write_key
    rudder_analytics.dataPlaneUrl = hub_url
    rudder_analytics.on_error = errors
    rudder_analytics.max_retries = 1
    yield errors
    rudder_analytics.shutdown()
    rudder_analytics.default_client = None


async def test_rudderstack_module_api_sends_gzip_batches(
    rudder_module: Errors, stored: Any
) -> None:
    def run() -> None:
        send_all(rudder_analytics, "rs")
        rudder_analytics.flush()

    await asyncio.to_thread(run)
    assert rudder_module == []
    by_id = check_rows(await stored.events(), "rs", "analytics-python")
    # RudderStack puts identify traits in context.traits, not at the top level.
    assert by_id["rs-id"].context["traits"] == {"email": "ada@example.com"}
    assert await stored.counters() == {"accepted": 6, "duplicates": 1}


async def test_rudderstack_client_in_sync_mode(hub_url: str, write_key: str, stored: Any) -> None:
    errors = Errors()
    client = RudderClient(write_key, host=hub_url, sync_mode=True, on_error=errors, max_retries=1)
    await asyncio.to_thread(send_all, client, "rss")
    assert errors == []
    check_rows(await stored.events(), "rss", "analytics-python")
