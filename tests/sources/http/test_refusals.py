"""What the tracking API refuses, with which status and message; a refusal stores nothing."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest

KB = 1024


def error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == response.status_code
    return body["error"]


def track(message_id: str, **extra: Any) -> dict[str, Any]:
    return {"type": "track", "userId": "u1", "event": "Viewed", "messageId": message_id, **extra}


def padded(message_id: str, size: int) -> dict[str, Any]:
    """A track message whose JSON encoding is exactly ``size`` bytes."""
    message = track(message_id, properties={"pad": ""})
    fill = size - len(json.dumps(message).encode())
    message["properties"]["pad"] = "x" * fill
    assert len(json.dumps(message).encode()) == size
    return message


async def test_a_gzip_batch_is_accepted(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any
) -> None:
    body = gzip.compress(json.dumps({"batch": [track("g1"), track("g2")]}).encode())
    response = await client.post(
        "/v1/batch", content=body, headers={**auth, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 200
    assert [row.message_id for row in await stored.events()] == ["g1", "g2"]


async def test_a_gzip_single_call_is_accepted(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any
) -> None:
    body = gzip.compress(json.dumps(track("g1")).encode())
    response = await client.post(
        "/v1/track", content=body, headers={**auth, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 200
    assert len(await stored.events()) == 1


async def test_a_message_of_exactly_32_kb_is_accepted(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any
) -> None:
    body = json.dumps({"batch": [padded("big", 32 * KB)]})
    response = await client.post("/v1/batch", content=body, headers=auth)
    assert response.status_code == 200
    assert len(await stored.events()) == 1


async def test_a_message_over_32_kb_refuses_the_batch_naming_it(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any
) -> None:
    batch = [track("ok-0"), track("ok-1"), padded("too-big", 32 * KB + 1)]
    # Measured on the message's JSON as sent (json.dumps' spacing, not httpx's).
    response = await client.post("/v1/batch", content=json.dumps({"batch": batch}), headers=auth)
    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "message_too_large"
    assert body["message"] == (
        "batch[2] (messageId 'too-big') is 32769 bytes; a message may be at most 32 KB "
        "(32768 bytes)"
    )
    assert body["details"] == [{"index": 2, "messageId": "too-big", "path": "$.batch[2]"}]
    assert await stored.events() == []


async def test_a_single_call_over_32_kb_is_refused(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any
) -> None:
    message = padded("too-big", 32 * KB + 1)
    response = await client.post("/v1/track", content=json.dumps(message), headers=auth)
    assert response.status_code == 400
    assert error(response)["message"].startswith("the message (messageId 'too-big') is 32769")
    assert await stored.events() == []


async def test_a_body_over_500_kb_is_413(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any
) -> None:
    batch = [padded(f"m{i}", 30 * KB) for i in range(17)]  # 510 KB of messages
    response = await client.post("/v1/batch", json={"batch": batch}, headers=auth)
    assert response.status_code == 413
    body = error(response)
    assert body["code"] == "body_too_large"
    assert body["message"] == (
        "the request body exceeds 500 KB (512000 bytes); send fewer events per batch"
    )
    assert await stored.events() == []


async def test_a_gzip_body_over_500_kb_once_decompressed_is_413(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any
) -> None:
    # A zip bomb in miniature: 1 MB of one character compresses to about 1 KB.
    bomb = b'{"batch": [], "pad": "' + b"x" * 1024 * KB + b'"}'
    compressed = gzip.compress(bomb)
    assert len(compressed) < 2 * KB
    response = await client.post(
        "/v1/batch", content=compressed, headers={**auth, "Content-Encoding": "gzip"}
    )
    assert response.status_code == 413
    assert error(response)["message"] == (
        "the request body after decompression exceeds 500 KB (512000 bytes); "
        "send fewer events per batch"
    )


@pytest.mark.parametrize(
    ("content", "encoding", "status", "code"),
    [
        (b"not gzip at all", "gzip", 400, "invalid_gzip"),
        (gzip.compress(b'{"batch": []}')[:-12], "gzip", 400, "invalid_gzip"),
        (b'{"batch": []}', "br", 415, "unsupported_encoding"),
    ],
)
async def test_bad_encodings_are_refused(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    content: bytes,
    encoding: str,
    status: int,
    code: str,
) -> None:
    response = await client.post(
        "/v1/batch", content=content, headers={**auth, "Content-Encoding": encoding}
    )
    assert response.status_code == status
    assert error(response)["code"] == code


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"batch": [{"type": "track",}]}', "trailing comma in object (byte 28)"),
        (b'{"batch": [', "Input data was truncated (it ends at byte 11)"),
        (b"", "Input data was truncated (it ends at byte 0)"),
    ],
)
async def test_malformed_json_is_400_with_the_position(
    client: httpx.AsyncClient, auth: dict[str, str], content: bytes, message: str
) -> None:
    response = await client.post("/v1/batch", content=content, headers=auth)
    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid_json"
    assert body["message"].startswith("the body is not valid JSON: ")
    assert body["message"].endswith(message)


@pytest.mark.parametrize(
    ("batch", "message", "path"),
    [
        (
            [track("a"), track("b"), track("c"), track("d", event=7)],
            "batch[3].event: Expected `str | null`, got `int`",
            "$.batch[3].event",
        ),
        (
            [track("a"), {"type": "track", "userId": "u"}],
            "batch[1]: `event` is required for a track call",
            "$.batch[1]",
        ),
        ([track("a"), track("b", type="purchase")], None, "$.batch[1].type"),
        ([track("a"), track("b", timestamp="yesterday")], None, "$.batch[1].timestamp"),
        ([track("a"), track("b", userId="u" * 256)], None, "$.batch[1].userId"),
        ([track("a"), track("b", properties={"n": "a\u0000b"})], None, "$.batch[1].properties.n"),
        ([track("a"), 5], None, "$.batch[1]"),
    ],
)
async def test_wrong_types_refuse_the_whole_batch_with_the_path(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    stored: Any,
    batch: list[Any],
    message: str | None,
    path: str,
) -> None:
    response = await client.post("/v1/batch", json={"batch": batch}, headers=auth)
    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid_input"
    assert body["details"] == [{"path": path}]
    if message:
        assert body["message"] == message
    assert await stored.events() == []
    assert await stored.counters() == {}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"event": "x"}, "$"),  # neither userId nor anonymousId
        ({"userId": "u", "event": ["x"]}, "$.event"),
        ([1, 2], "$"),
        ({"userId": "u", "event": "x", "messageId": "m" * 201}, "$.messageId"),
    ],
)
async def test_wrong_types_in_a_single_call_are_400(
    client: httpx.AsyncClient, auth: dict[str, str], stored: Any, body: Any, path: str
) -> None:
    response = await client.post("/v1/track", json=body, headers=auth)
    assert response.status_code == 400
    assert error(response)["details"] == [{"path": path}]
    assert await stored.events() == []


async def test_a_batch_without_batch_is_400(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post("/v1/batch", json={"events": []}, headers=auth)
    assert response.status_code == 400
    assert error(response)["message"] == "Object missing required field `batch`"
