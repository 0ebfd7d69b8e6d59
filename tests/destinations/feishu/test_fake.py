"""The fake refuses what Feishu would refuse: one that accepts anything proves nothing."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from junction.destinations.feishu import sign

from ...fakes.feishu import FakeFeishu
from .common import APP_ID, APP_SECRET, BOT_SECRET, BOT_TOKEN

BASE = "https://open.feishu.cn"
TEXT = {"msg_type": "text", "content": {"text": "hi"}}


async def post(fake: FakeFeishu, path: str, body: Any, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=fake.transport(), base_url=BASE) as client:
        return await client.post(path, json=body, **kwargs)


def signed(body: dict[str, Any], secret: str = BOT_SECRET, at: int | None = None) -> dict[str, Any]:
    stamp = int(time.time()) if at is None else at
    return {**body, "timestamp": str(stamp), "sign": sign(stamp, secret)}


async def bot(fake: FakeFeishu, body: Any) -> int:
    reply = await post(fake, f"/open-apis/bot/v2/hook/{BOT_TOKEN}", body)
    return reply.json()["code"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (signed(TEXT), 0),
        (TEXT, 19021),  # unsigned
        (signed(TEXT, secret="another-secret"), 19021),
        (signed(TEXT, at=int(time.time()) - 3700), 19021),  # over an hour old
        ({**signed(TEXT), "timestamp": str(int(time.time()) + 5)}, 19021),  # sign of another time
        (signed({"msg_type": "interactive", "content": {}}), 9499),  # card must be top level
        (signed({"msg_type": "text", "content": {"text": "x" * 21_000}}), 9499),  # > 20 KB
        (signed({"msg_type": "card"}), 9499),
    ],
)
async def test_the_bot_verifies_signature_window_and_body(body: Any, code: int) -> None:
    assert await bot(FakeFeishu(), body) == code


async def test_an_unknown_bot_token_is_refused() -> None:
    reply = await post(FakeFeishu(), "/open-apis/bot/v2/hook/nope", signed(TEXT))
    assert reply.json()["code"] == 19001


async def token(fake: FakeFeishu, secret: str = APP_SECRET) -> dict[str, Any]:
    path = "/open-apis/auth/v3/tenant_access_token/internal"
    reply = await post(fake, path, {"app_id": APP_ID, "app_secret": secret})
    return reply.json()


async def message(
    fake: FakeFeishu, body: Any, bearer: str, kind: str = "user_id"
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    path = "/open-apis/im/v1/messages"
    reply = await post(fake, path, body, params={"receive_id_type": kind}, headers=headers)
    return reply.json()


async def test_tokens_are_checked_reused_and_expire() -> None:
    now = [1000.0]
    fake = FakeFeishu(clock=lambda: now[0])
    assert (await token(fake, "wrong"))["code"] == 10014
    first = (await token(fake))["tenant_access_token"]
    assert (await token(fake))["tenant_access_token"] == first  # ≥ 30 min left: the same
    body = {"receive_id": "u-ada", "msg_type": "text", "content": json.dumps({"text": "hi"})}
    assert (await message(fake, body, ""))["code"] == 99991661
    assert (await message(fake, body, "t-forged"))["code"] == 99991663
    now[0] += 7200
    assert (await message(fake, body, first))["code"] == 99991663


@pytest.mark.parametrize(
    ("body", "kind", "code"),
    [
        ({"receive_id": "u-ada", "msg_type": "text", "content": '{"text":"hi"}'}, "user_id", 0),
        ({"receive_id": "u-ada", "msg_type": "text", "content": {"text": "hi"}}, "user_id", 230001),
        ({"receive_id": "u-ada", "msg_type": "text", "content": '{"txt":"hi"}'}, "user_id", 230001),
        (
            {"receive_id": "u-ada", "msg_type": "text", "content": '{"text":"hi"}'},
            "phone",
            99992402,
        ),
        (
            {"receive_id": "u-nobody", "msg_type": "text", "content": '{"text":"a"}'},
            "user_id",
            230013,
        ),
        (
            {"receive_id": "u-ada", "msg_type": "post", "content": '{"post":{"zh_cn":{}}}'},
            "user_id",
            230001,
        ),
    ],
)
async def test_messages_check_the_body_and_the_recipient(body: Any, kind: str, code: int) -> None:
    fake = FakeFeishu()
    bearer = (await token(fake))["tenant_access_token"]
    assert (await message(fake, body, bearer, kind))["code"] == code
    assert len(fake.delivered) == (1 if code == 0 else 0)
