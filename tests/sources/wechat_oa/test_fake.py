"""The fake WeChat refuses what the real one refuses: a lenient fake would prove nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fakes.wechat_oa import FakeWechat

from .conftest import APP_ID, APP_SECRET


@pytest.fixture
async def api(fake: FakeWechat) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=fake.transport(), base_url="https://w") as client:
        yield client


async def classic_token(api: httpx.AsyncClient) -> str:
    params = {"grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET}
    reply = await api.get("/cgi-bin/token", params=params)
    return str(reply.json()["access_token"])


async def stable_token(api: httpx.AsyncClient, force: bool = False) -> str:
    body = {"grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET}
    reply = await api.post("/cgi-bin/stable_token", json={**body, "force_refresh": force})
    return str(reply.json()["access_token"])


async def errcode(api: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> int:
    reply = await api.request(method, f"/cgi-bin/{path}", **kwargs)
    assert reply.status_code == 200, "WeChat answers errors with HTTP 200"
    return int(reply.json().get("errcode", 0))


async def test_stable_token_is_the_same_until_force_refresh(api: httpx.AsyncClient) -> None:
    first = await stable_token(api)
    assert await stable_token(api) == first
    assert await stable_token(api, force=True) != first


async def test_a_new_classic_token_invalidates_the_old_one_after_the_grace_period(
    api: httpx.AsyncClient, fake: FakeWechat
) -> None:
    old = await classic_token(api)
    new = await classic_token(api)
    assert await errcode(api, "GET", "tags/get", params={"access_token": old}) == 0
    fake.advance(301)
    assert await errcode(api, "GET", "tags/get", params={"access_token": old}) == 40001
    assert await errcode(api, "GET", "tags/get", params={"access_token": new}) == 0
    fake.advance(7200)
    assert await errcode(api, "GET", "tags/get", params={"access_token": new}) == 42001


async def test_classic_and_stable_tokens_live_apart(api: httpx.AsyncClient) -> None:
    stable = await stable_token(api)
    await classic_token(api)
    assert await stable_token(api) == stable


@pytest.mark.parametrize(
    ("params", "code"),
    [({}, 41001), ({"access_token": "made-up"}, 40014)],
)
async def test_calls_without_a_valid_token_are_refused(
    api: httpx.AsyncClient, params: dict[str, str], code: int
) -> None:
    assert await errcode(api, "GET", "tags/get", params=params) == code


async def test_batchget_enforces_its_contract(api: httpx.AsyncClient, fake: FakeWechat) -> None:
    token = {"access_token": await stable_token(api)}
    known = next(iter(fake.followers))

    async def batchget(body: Any, raw: bytes | None = None) -> int:
        content = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        return await errcode(api, "POST", "user/info/batchget", params=token, content=content)

    assert await batchget({"user_list": [{"openid": known, "lang": "zh_CN"}]}) == 0
    assert await batchget({"user_list": [{"openid": known}] * 101}) == 40032
    assert await batchget({"user_list": []}) == 40032
    assert await batchget({"user_list": [{"openid": "oNobody"}]}) == 40003
    assert await batchget({"user_list": [{"openid": known, "lang": "fr"}]}) == 40005
    assert await batchget({"openids": [known]}) == 47001
    assert await batchget(None, raw=b'{"user_list": [{"openid": "\\u006f"}]}') == 40033


async def test_user_get_pages_end_with_an_empty_page(api: httpx.AsyncClient) -> None:
    token = await stable_token(api)
    first = (await api.get("/cgi-bin/user/get", params={"access_token": token})).json()
    assert first["count"] == 7 and first["next_openid"] == first["data"]["openid"][-1]
    params = {"access_token": token, "next_openid": first["next_openid"]}
    last = (await api.get("/cgi-bin/user/get", params=params)).json()
    assert last == {"total": 7, "count": 0, "next_openid": ""}
    bad = {"access_token": token, "next_openid": "oNobody"}
    assert await errcode(api, "GET", "user/get", params=bad) == 40003


async def test_daily_quota_runs_out(api: httpx.AsyncClient, fake: FakeWechat) -> None:
    fake.quota = {"tags/get": 1}
    token = {"access_token": await stable_token(api)}
    assert await errcode(api, "GET", "tags/get", params=token) == 0
    assert await errcode(api, "GET", "tags/get", params=token) == 45009
