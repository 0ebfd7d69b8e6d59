"""The /hooks/sensors/sa endpoint: what it stores, how it answers, and what it refuses."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from junction.core.db.tables import CatalogItem
from tests.sources.sensors.helpers import FIXTURES, PROJECT, Stored, encode, sa_url

AT_MS = 1714552215123
AT = datetime(2024, 5, 1, 8, 30, 15, 123000, tzinfo=UTC)


def track(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "track",
        "event": "ViewProduct",
        "distinct_id": "dev-9f",
        "time": AT_MS,
        "lib": {"$lib": "python", "$lib_version": "1.11.0", "$lib_method": "code"},
        "properties": {"$lib": "python", "product_id": 12345, "product_price": 14.0},
    }
    record.update(changes)
    return record


async def post(client: httpx.AsyncClient, key: str, fields: dict[str, str], **kw: Any) -> Any:
    return await client.post(sa_url(key, **kw), data=fields)


async def test_a_gzip_track_record_is_stored_as_a_track_event(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    response = await post(client, write_key, encode(track()))
    assert response.status_code == 200, response.text
    assert response.content == b""
    [row] = await stored.events()
    assert (row.type, row.name, row.user_id, row.anonymous_id) == (
        "track",
        "ViewProduct",
        None,
        "dev-9f",
    )
    assert row.timestamp == AT
    assert row.properties == {"$lib": "python", "product_id": 12345, "product_price": 14.0}
    assert row.context["library"] == {"name": "python", "version": "1.11.0"}
    assert row.context["sensors"]["distinct_id"] == "dev-9f"
    assert row.message_id.startswith("sa-")


async def test_item_records_go_to_the_catalog_newest_state_winning(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    book = {"type": "item_set", "item_type": "book", "item_id": "b1", "time": AT_MS}
    batch = [
        track(),
        {**book, "properties": {"title": "三体", "price": 23.0}},
        {**book, "type": "item_set", "item_id": "b2", "properties": {"title": "Dune"}},
        {**book, "type": "item_delete", "time": AT_MS + 1000},
    ]
    response = await post(client, write_key, encode(batch, field="data_list"))
    assert response.status_code == 200, response.text
    # A late, older state of the deleted item changes nothing; a resend is a duplicate.
    late = {**book, "time": AT_MS - 1000, "properties": {"title": "old"}}
    assert (await post(client, write_key, encode(late))).status_code == 200
    assert (await post(client, write_key, encode(batch, field="data_list"))).status_code == 200
    async with stored.db.sessions() as session:
        rows = (await session.scalars(select(CatalogItem).order_by(CatalogItem.item_id))).all()
    assert [(r.item_id, r.deleted, r.properties) for r in rows] == [
        ("b1", True, {}),
        ("b2", False, {"title": "Dune"}),
    ]
    assert [row.type for row in await stored.events()] == ["track"]  # items are nobody


async def test_a_resent_record_is_a_duplicate(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    for _ in range(2):
        assert (await post(client, write_key, encode(track()))).status_code == 200
    assert len(await stored.events()) == 1


async def test_plain_base64_without_gzip_is_accepted(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    fields = encode([track()], field="data_list", gzipped=False)
    assert (await post(client, write_key, fields)).status_code == 200
    assert [row.name for row in await stored.events()] == ["ViewProduct"]


async def test_is_login_id_makes_distinct_id_the_user_id(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    record = track(distinct_id="u-123", properties={"$is_login_id": True})
    assert (await post(client, write_key, encode(record))).status_code == 200
    [row] = await stored.events()
    assert (row.user_id, row.anonymous_id) == ("u-123", None)


async def test_profile_records_become_profile_updates(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    login = {"distinct_id": "u-7", "time": AT_MS, "properties": {"$is_login_id": True}}
    batch = [
        {**login, "type": "profile_set", "properties": {"$is_login_id": True, "Age": 33}},
        {**login, "type": "profile_set_once", "properties": {"FirstSeen": "2024-05-01"}},
        {**login, "type": "profile_unset", "properties": {"Coupon": True}},
        {**login, "type": "profile_append", "properties": {"Tags": ["vip"]}},
    ]
    batch = [{**r, "properties": {**r["properties"], "$is_login_id": True}} for r in batch]
    response = await post(client, write_key, encode(batch, field="data_list"))
    assert response.status_code == 200, response.text
    rows = await stored.events()
    identify = [row for row in rows if row.type == "identify"]
    assert len(identify) == 3
    # What an identify call can't say travels in context.junction (see core.ingest.records).
    changes = [(row.traits, row.context.get("junction", {})) for row in identify]
    assert sorted(changes, key=repr) == sorted(
        [
            ({"Age": 33}, {}),
            ({}, {"traitsOnce": {"FirstSeen": "2024-05-01"}}),
            ({}, {"unset": ["Coupon"]}),
        ],
        key=repr,
    )
    assert all(row.user_id == "u-7" for row in rows)
    # The model has no append: it is kept as a fact, not applied to traits.
    [append] = [row for row in rows if row.type == "track"]
    assert (append.name, append.properties["Tags"]) == ("$profile_append", ["vip"])


async def test_signup_links_the_anonymous_and_login_ids(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    batch = [
        track(distinct_id="anon-1"),
        {
            "type": "track_signup",
            "event": "$SignUp",
            "distinct_id": "member-1",
            "original_id": "anon-1",
            "time": AT_MS + 1,
            "properties": {},
        },
        track(distinct_id="member-1", time=AT_MS + 2, properties={"$is_login_id": True}),
    ]
    assert (await post(client, write_key, encode(batch, field="data_list"))).status_code == 200
    rows = await stored.resolve()
    signup = next(row for row in rows if row.name == "$SignUp")
    assert (signup.user_id, signup.anonymous_id) == ("member-1", "anon-1")
    assert len({row.profile_id for row in rows}) == 1
    assert rows[0].profile_id is not None


async def test_identities_become_hub_identifiers(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    record = track(
        distinct_id="u-9",
        identities={
            "$identity_login_id": "u-9",
            "$identity_mobile": "13800138000",
            "$identity_email": "Ada@Example.com",
            "$identity_custom_crm": "crm-5",
        },
        properties={"$is_login_id": True},
    )
    assert (await post(client, write_key, encode(record))).status_code == 200
    [row] = await stored.resolve()
    assert row.user_id == "u-9"
    declared = {(i["type"], i["value"]) for i in row.context["identifiers"]}
    assert declared == {("phone", "13800138000"), ("email", "Ada@Example.com")}
    # An identity the hub has no type for is kept with the record, not dropped.
    assert row.context["sensors"]["identities"]["$identity_custom_crm"] == "crm-5"
    linked = {(i.type, i.profile_id) for i in await stored.identities()}
    assert {kind for kind, _ in linked} == {"user_id", "phone", "email"}
    assert {profile for _, profile in linked} == {row.profile_id}


async def test_the_recorded_browser_beacon_is_decoded_and_stored(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    query = (FIXTURES / "browser_beacon.txt").read_text().strip()
    response = await client.get(f"{sa_url(write_key, project='default')}&{query}")
    # The records name no project and the URL says default: this connection is `shop`.
    assert response.status_code == 400
    assert "project" in response.json()["error"]["message"]

    response = await client.get(f"{sa_url(write_key)}&{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/gif"
    assert response.headers["access-control-allow-origin"] == "*"
    # The same beacon to the image path: the same record, so a duplicate.
    beacon = f"{sa_url(write_key, path='/hooks/sensors/sa.gif')}&{query}"
    assert (await client.get(beacon)).headers["content-type"] == "image/gif"
    [row] = await stored.events()
    assert (row.name, row.anonymous_id, row.properties) == ("ViewProduct", "u1", {"$lib": "js"})
    assert row.timestamp == datetime(2015, 6, 17, 16, 2, 15, tzinfo=UTC)


async def test_a_beacon_whose_crc_does_not_match_is_refused(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    query = (FIXTURES / "browser_beacon.txt").read_text().strip()
    response = await client.get(f"{sa_url(write_key)}&{query.replace('1555519168', '1555519169')}")
    assert response.status_code == 400
    assert "crc" in response.json()["error"]["message"]
    assert await stored.events() == []


async def test_the_recorded_browser_batch_is_decoded_stored_and_resolved(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    body = (FIXTURES / "browser_batch.txt").read_text().strip()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = await client.post(sa_url(write_key), content=body, headers=headers)
    assert response.status_code == 200, response.text
    rows = await stored.resolve()
    by_name = {row.name or row.type: row for row in rows}
    assert set(by_name) == {"$pageview", "$BindID", "identify"}
    page = by_name["$pageview"]
    assert page.anonymous_id == "18f1c0a5b2e-0a1b2c3d4e5f6-1"
    assert page.properties["$title"] == "商品详情"
    assert page.context["sensors"]["track_id"] == 715822011
    assert page.sent_at == datetime(2024, 5, 1, 8, 30, 15, 456000, tzinfo=UTC)
    assert (by_name["$BindID"].user_id, by_name["$BindID"].anonymous_id) == (
        "member-42",
        "18f1c0a5b2e-0a1b2c3d4e5f6-1",
    )
    assert by_name["identify"].traits == {"level": "gold", "city": "杭州"}
    # The visitor before login and the member are one profile.
    assert len({row.profile_id for row in rows}) == 1

    # The SDK resending the same batch (same _track_ids) stores nothing new.
    assert (await client.post(sa_url(write_key), content=body, headers=headers)).status_code == 200
    assert len(await stored.events()) == 3


async def test_debug_dry_run_validates_without_storing(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    url = sa_url(write_key, path="/hooks/sensors/debug")
    dry = {"Dry-Run": "true"}
    assert (await client.post(url, data=encode(track()), headers=dry)).status_code == 200
    bad = await client.post(url, data=encode(track(time=12)), headers=dry)
    assert bad.status_code == 400
    assert await stored.events() == []
    assert (await client.post(url, data=encode(track()))).status_code == 200
    assert len(await stored.events()) == 1


async def test_cors_preflight_is_answered(client: httpx.AsyncClient) -> None:
    response = await client.options("/hooks/sensors/sa")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]


# --- refusals: each says what is wrong, and nothing of the request is stored ------------


async def refused(
    client: httpx.AsyncClient, url: str, fields: dict[str, str], status: int, stored: Stored
) -> dict[str, Any]:
    response = await client.post(url, data=fields)
    assert response.status_code == status, response.text
    assert await stored.events() == []
    error: dict[str, Any] = response.json()["error"]
    return error


async def test_a_missing_token_is_refused(client: httpx.AsyncClient, stored: Stored) -> None:
    error = await refused(
        client, f"/hooks/sensors/sa?project={PROJECT}", encode(track()), 401, stored
    )
    assert error["code"] == "missing_token"
    assert "token=<write key>" in error["message"]


async def test_an_unknown_token_is_refused(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    error = await refused(client, sa_url("jk_not-a-key"), encode(track()), 401, stored)
    assert error["code"] == "invalid_token"


async def test_the_key_of_another_kind_of_source_is_refused(
    client: httpx.AsyncClient, http_write_key: str, stored: Stored
) -> None:
    error = await refused(client, sa_url(http_write_key), encode(track()), 403, stored)
    assert "'http'" in error["message"]
    assert http_write_key not in str(error)


async def test_another_project_is_refused(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    url = sa_url(write_key, project="production")
    error = await refused(client, url, encode(track()), 400, stored)
    assert error["code"] == "wrong_project"
    error = await refused(client, sa_url(write_key), encode(track(project="other")), 400, stored)
    assert error["message"].startswith("data.project: project 'other'")


async def test_one_bad_record_refuses_the_whole_batch_naming_it(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    batch = [track(), track(time=123), track(event="bad name")]
    fields = encode(batch, field="data_list")
    error = await refused(client, sa_url(write_key), fields, 400, stored)
    assert error["message"].startswith("data_list[1].time: 123 is not a timestamp")
    assert "2 records refused" in error["message"]
    assert [(d["index"], d["path"]) for d in error["details"]] == [
        (1, "data_list[1].time"),
        (2, "data_list[2].event"),
    ]


@pytest.mark.parametrize(
    ("record", "path", "words"),
    [
        ({"type": "track", "event": "E", "time": AT_MS}, "data.distinct_id", "required"),
        (track(type="track_signup", event="$SignUp"), "data.original_id", "required"),
        (track(type="profile_merge"), "data.type", "not a Sensors record type"),
        (track(distinct_id="x" * 256), "data.distinct_id", "at most 255"),
        (track(properties={"user_id": 1}), "data.properties.user_id", "reserves"),
        (track(identities={"$identity_mobile": ""}), "data.identities.$identity_mobile", "empty"),
        ({"type": "item_set", "item_type": "book", "time": AT_MS}, "data.item_id", "required"),
    ],
)
async def test_invalid_records_are_refused_naming_the_field(
    client: httpx.AsyncClient,
    write_key: str,
    stored: Stored,
    record: dict[str, Any],
    path: str,
    words: str,
) -> None:
    error = await refused(client, sa_url(write_key), encode(record), 400, stored)
    assert error["message"].startswith(f"{path}: ")
    assert words in error["message"]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({}, "send a `data` or `data_list` form field"),
        ({"data": "%%%not-base64"}, "not valid base64"),
        ({"data": base64.b64encode(b'{"type":').decode()}, "not valid JSON"),
        ({"data": base64.b64encode(b"{}").decode(), "gzip": "1"}, "not gzip data"),
        (
            {"data": base64.b64encode(gzip.compress(b"{}")).decode()},
            "sent gzip-compressed without gzip=1",
        ),
        ({"data_list": base64.b64encode(b'{"type":"track"}').decode()}, "must decode to an array"),
        ({**encode(track()), **encode([track()], field="data_list")}, "not both"),
    ],
)
async def test_undecodable_payloads_are_refused(
    client: httpx.AsyncClient,
    write_key: str,
    stored: Stored,
    fields: dict[str, str],
    words: str,
) -> None:
    error = await refused(client, sa_url(write_key), fields, 400, stored)
    assert words in error["message"]


async def test_a_json_body_is_refused_with_a_hint(
    client: httpx.AsyncClient, write_key: str, stored: Stored
) -> None:
    response = await client.post(sa_url(write_key), json=track())
    assert response.status_code == 415
    assert "x-www-form-urlencoded" in response.json()["error"]["message"]
