"""The tracking endpoints: every call type, both ways to send the key, and 401s."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

OK = {"success": True}


def error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == response.status_code
    return body["error"]


CALLS = {
    "track": {"userId": "u1", "event": "Signed Up", "properties": {"plan": "pro"}},
    "identify": {"userId": "u1", "traits": {"email": "ada@example.com"}},
    "page": {"anonymousId": "a1", "name": "Pricing", "properties": {"path": "/pricing"}},
    "screen": {"anonymousId": "a1", "name": "Cart"},
    "group": {"userId": "u1", "groupId": "acme", "traits": {"plan": "pro"}},
    "alias": {"userId": "u1", "previousId": "a1"},
}
NAMES = {"track": "Signed Up", "page": "Pricing", "screen": "Cart"}


@pytest.mark.parametrize("call", sorted(CALLS))
async def test_each_call_is_stored_with_its_type_and_name(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any, call: str
) -> None:
    body = {**CALLS[call], "messageId": f"{call}-1"}
    response = await client.post(f"/v1/{call}", json=body, headers=auth)
    assert (response.status_code, response.json()) == (200, OK)
    (row,) = await stored.events()
    assert (row.type, row.message_id, row.name) == (call, f"{call}-1", NAMES.get(call))
    assert (row.user_id, row.anonymous_id) == (body.get("userId"), body.get("anonymousId"))
    assert (row.profile_id, row.resolution) == (None, 0)


async def test_the_path_decides_the_type(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any
) -> None:
    body = {"type": "identify", "userId": "u1", "event": "Clicked", "messageId": "m"}
    assert (await client.post("/v1/track", json=body, headers=auth)).status_code == 200
    assert [row.type for row in await stored.events()] == ["track"]


@pytest.mark.parametrize("path", ["/v1/batch", "/v1/import"])
async def test_a_batch_stores_every_call_with_envelope_fields(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any, path: str
) -> None:
    sent = datetime.now(UTC)
    batch = [
        {
            "type": call,
            **fields,
            "messageId": f"{call}-1",
            "timestamp": (sent - timedelta(minutes=1)).isoformat(),
        }
        for call, fields in CALLS.items()
    ]
    body = {"batch": batch, "sentAt": sent.isoformat(), "context": {"library": {"name": "x"}}}
    response = await client.post(path, json=body, headers=auth)
    assert (response.status_code, response.json()) == (200, OK)
    rows = await stored.events()
    assert sorted(row.type for row in rows) == sorted(CALLS)
    for row in rows:
        assert row.context == {"library": {"name": "x"}}
        assert row.sent_at == sent
        assert row.timestamp == row.received_at - timedelta(minutes=1)


async def test_a_bare_array_is_a_batch(
    client: httpx.AsyncClient, write_key: str, stored: Any
) -> None:
    body = [{"type": "track", "userId": "u", "event": "e", "writeKey": write_key}]
    assert (await client.post("/v1/batch", json=body)).status_code == 200
    assert len(await stored.events()) == 1


async def test_the_write_key_may_come_in_the_body(
    client: httpx.AsyncClient, write_key: str, stored: Any
) -> None:
    single = {**CALLS["track"], "writeKey": write_key}
    batch = {"batch": [{"type": "track", **CALLS["track"]}], "writeKey": write_key}
    assert (await client.post("/v1/track", json=single)).status_code == 200
    assert (await client.post("/v1/batch", json=batch)).status_code == 200
    assert len(await stored.events()) == 2


async def test_any_content_type_is_read_as_json(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any
) -> None:
    # analytics.js posts text/plain so that browsers skip the CORS preflight.
    response = await client.post(
        "/v1/track",
        content=b'{"userId": "u", "event": "e"}',
        headers={**auth, "Content-Type": "text/plain"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert len(await stored.events()) == 1


async def test_cors_preflight_is_answered(client: httpx.AsyncClient) -> None:
    response = await client.options("/v1/batch")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Authorization" in response.headers["access-control-allow-headers"]


def basic(username: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:".encode()).decode()}


@pytest.mark.parametrize(
    ("headers", "body_key", "code"),
    [
        ({}, None, "missing_write_key"),
        ({}, "", "missing_write_key"),
        ({}, 123, "missing_write_key"),
        (basic("jk_not-a-key"), None, "invalid_write_key"),
        ({}, "jk_not-a-key", "invalid_write_key"),
        ({"Authorization": "Bearer abc"}, None, "invalid_write_key"),
        ({"Authorization": "Basic %%%"}, None, "invalid_write_key"),
    ],
)
async def test_requests_without_a_valid_key_are_refused(
    client: httpx.AsyncClient,
    write_key: str,
    stored: Any,
    headers: dict[str, str],
    body_key: Any,
    code: str,
) -> None:
    body: dict[str, Any] = {"batch": [{"type": "track", **CALLS["track"]}]}
    if body_key is not None:
        body["writeKey"] = body_key
    response = await client.post("/v1/batch", json=body, headers=headers)
    assert response.status_code == 401
    assert error(response)["code"] == code
    assert response.headers["www-authenticate"] == 'Basic realm="junction"'
    assert await stored.events() == []


async def test_a_revoked_key_is_refused(
    client: httpx.AsyncClient, connections: Any, auth: dict[str, str], app: Litestar
) -> None:
    new_key = await connections.rotate_write_key("web", actor="admin")
    app.state.ingest.authenticator.forget()  # another process would wait out the cache
    assert (await client.post("/v1/track", json=CALLS["track"], headers=auth)).status_code == 401
    response = await client.post("/v1/track", json=CALLS["track"], headers=basic(new_key))
    assert response.status_code == 200


async def test_duplicates_are_accepted_and_stored_once(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any
) -> None:
    message = {"type": "track", **CALLS["track"], "messageId": "dup"}
    twice = {"batch": [message, message]}
    assert (await client.post("/v1/batch", json=twice, headers=auth)).json() == OK
    assert (await client.post("/v1/track", json=message, headers=auth)).json() == OK
    assert [row.message_id for row in await stored.events()] == ["dup"]
    assert await stored.counters() == {"accepted": 1, "duplicates": 2}
