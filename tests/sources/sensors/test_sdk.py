"""The real Sensors Python SDK (SensorsAnalyticsSDK) sending to the hub over real HTTP.

The hub runs in uvicorn on a free port with its ID-mapping worker. What the SDK sends
(form fields ``data`` / ``data_list`` of base64 gzip JSON, ``gzip=1``, POSTed to its
server_url unchanged) is whatever the installed SDK does: nothing here imitates it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import sensorsanalytics
from sensorsanalytics.sdk import SensorsAnalyticsIdentity as Identity

from tests.sources.sensors.helpers import PROJECT, Stored

AT_MS = 1714552215123
AT = datetime(2024, 5, 1, 8, 30, 15, 123000, tzinfo=UTC)


def server_url(hub_url: str, key: str, path: str = "sa") -> str:
    """What a user pastes into the SDK: the hub's endpoint with project and write key."""
    return f"{hub_url}/hooks/sensors/{path}?{urlencode({'project': PROJECT, 'token': key})}"


async def run(function: Callable[[], Any]) -> Any:
    # The SDK's consumers block on urllib: keep them off the event loop.
    return await asyncio.to_thread(function)


async def test_default_consumer_track_and_profile_set(
    hub_url: str, write_key: str, stored: Stored
) -> None:
    sa = sensorsanalytics.SensorsAnalytics(
        sensorsanalytics.DefaultConsumer(server_url(hub_url, write_key)), project_name=PROJECT
    )

    def send() -> None:
        for _ in range(2):  # the same record twice: the second is a duplicate
            sa.track("dev-1", "ViewProduct", {"product_id": 12345, "$time": AT_MS})
        sa.profile_set("dev-1", {"Age": 33, "City": "杭州"})
        sa.close()

    await run(send)
    rows = await stored.resolved()
    assert len(rows) == 2
    view = next(row for row in rows if row.type == "track")
    assert (view.name, view.anonymous_id, view.user_id) == ("ViewProduct", "dev-1", None)
    assert view.timestamp == AT
    assert view.properties["product_id"] == 12345
    assert view.context["library"]["name"] == "python"
    assert view.context["sensors"]["project"] == PROJECT
    profile = next(row for row in rows if row.type == "identify")
    assert profile.traits == {"Age": 33, "City": "杭州"}
    assert profile.profile_id == view.profile_id


async def test_signup_binds_the_anonymous_visitor_to_the_member(
    hub_url: str, write_key: str, stored: Stored
) -> None:
    sa = sensorsanalytics.SensorsAnalytics(
        sensorsanalytics.DefaultConsumer(server_url(hub_url, write_key))
    )

    def send() -> None:
        sa.track("anon-7", "ViewProduct", {"product_id": 1})
        sa.track_signup("member-7", "anon-7", {"channel": "wechat"})
        sa.track("member-7", "BuyProduct", {"amount": 99}, is_login_id=True)
        sa.profile_set_once("member-7", {"FirstBuy": "phone case"}, is_login_id=True)

    await run(send)
    rows = await stored.resolved()
    by_name = {row.name or row.type: row for row in rows}
    assert set(by_name) == {"ViewProduct", "$SignUp", "BuyProduct", "identify"}
    assert (by_name["$SignUp"].user_id, by_name["$SignUp"].anonymous_id) == (
        "member-7",
        "anon-7",
    )
    assert by_name["BuyProduct"].user_id == "member-7"
    assert by_name["identify"].context["junction"] == {"traitsOnce": {"FirstBuy": "phone case"}}
    # Before and after login: one person.
    assert len({row.profile_id for row in rows}) == 1


async def test_id_mapping_3_identities_resolve_to_one_profile(
    hub_url: str, write_key: str, stored: Stored
) -> None:
    sa = sensorsanalytics.SensorsAnalytics(
        sensorsanalytics.DefaultConsumer(server_url(hub_url, write_key))
    )
    login = Identity(Identity.LOGIN_ID, "u-100")
    mobile = Identity(Identity.MOBILE, "13800138000")
    email = Identity(Identity.EMAIL, "ada@example.com")

    def send() -> None:
        sa.track_by_id("Browse", {"page": "home"}, mobile)
        sa.bind(login, mobile)
        sa.profile_set_by_id({"Level": "gold"}, login, email)
        sa.profile_unset_by_id(["Coupon"], login)

    await run(send)
    rows = await stored.resolved()
    assert {row.name or row.type for row in rows} == {"Browse", "$BindID", "identify"}
    browse = next(row for row in rows if row.name == "Browse")
    # Known only by phone: Sensors' own distinct_id for it stands in as anonymousId.
    assert browse.anonymous_id == "$identity_mobile+13800138000"
    assert browse.context["identifiers"] == [{"type": "phone", "value": "13800138000", "scope": ""}]
    assert len({row.profile_id for row in rows}) == 1
    kinds = {i.type for i in await stored.identities()}
    assert {"user_id", "phone", "email"} <= kinds
    unset = [row for row in rows if row.context.get("junction", {}).get("unset")]
    assert [row.context["junction"]["unset"] for row in unset] == [["Coupon"]]


async def test_batch_consumer_sends_gzip_batches_of_50(
    hub_url: str, write_key: str, stored: Stored
) -> None:
    consumer = sensorsanalytics.BatchConsumer(server_url(hub_url, write_key), max_size=50)
    sa = sensorsanalytics.SensorsAnalytics(consumer, project_name=PROJECT)

    def send() -> None:
        for number in range(60):  # one full batch of 50, then 10 on close
            sa.track(f"dev-{number % 3}", "Tick", {"n": number})
        sa.close()

    await run(send)
    rows = await stored.events()
    assert sorted(row.properties["n"] for row in rows) == list(range(60))
    assert {row.anonymous_id for row in rows} == {"dev-0", "dev-1", "dev-2"}


# The SDK's flush thread calls Event.isSet(), deprecated since Python 3.10.
@pytest.mark.filterwarnings("ignore:isSet:DeprecationWarning")
async def test_async_batch_consumer_batches_of_100_are_accepted(
    hub_url: str, write_key: str, stored: Stored
) -> None:
    # Its default request holds up to 100 records, above Sensors' recommended 50.
    consumer = sensorsanalytics.AsyncBatchConsumer(
        server_url(hub_url, write_key), flush_size=100, max_batch_size=100
    )
    sa = sensorsanalytics.SensorsAnalytics(consumer)

    def send() -> None:
        for number in range(150):
            sa.track("dev-a", "Tick", {"n": number})
        sa.close()

    await run(send)
    assert sorted(row.properties["n"] for row in await stored.events()) == list(range(150))


async def test_debug_consumer_dry_run_stores_nothing(
    hub_url: str, write_key: str, stored: Stored, capsys: pytest.CaptureFixture[str]
) -> None:
    # The debug consumer posts to the sibling path `/debug` (Dry-Run: true here).
    consumer = sensorsanalytics.DebugConsumer(server_url(hub_url, write_key), write_data=False)
    sa = sensorsanalytics.SensorsAnalytics(consumer)
    await run(lambda: sa.track("dev-1", "Checked", {"ok": True}))
    assert "valid message" in capsys.readouterr().out
    assert await stored.events() == []


async def test_a_wrong_token_is_refused_and_nothing_stored(
    hub_url: str, write_key: str, stored: Stored
) -> None:
    sa = sensorsanalytics.SensorsAnalytics(
        sensorsanalytics.DefaultConsumer(server_url(hub_url, "jk_wrong-key-123"))
    )
    with pytest.raises(sensorsanalytics.SensorsAnalyticsNetworkException, match="401"):
        await run(lambda: sa.track("dev-1", "ViewProduct"))
    assert await stored.events() == []
