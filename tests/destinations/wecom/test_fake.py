"""The fake refuses what WeCom would refuse: one that accepts anything proves nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ...fakes.wecom import FakeWeCom
from .common import CORP_ID, CORP_SECRET, ROBOT_KEY

BASE = "https://qyapi.weixin.qq.com"


def call(fake: FakeWeCom, method: str, path: str, params: dict[str, Any], body: Any = None) -> Any:
    with httpx.Client(transport=fake.transport(), base_url=BASE) as client:
        reply = client.request(method, path, params=params, json=body)
    return reply.json()


def robot(fake: FakeWeCom, body: Any, key: str = ROBOT_KEY) -> int:
    return call(fake, "POST", "/cgi-bin/webhook/send", {"key": key}, body)["errcode"]


def token(fake: FakeWeCom) -> str:
    reply = call(fake, "GET", "/cgi-bin/gettoken", {"corpid": CORP_ID, "corpsecret": CORP_SECRET})
    return reply["access_token"]


def send(fake: FakeWeCom, body: dict[str, Any], access_token: str | None = None) -> dict[str, Any]:
    params = {"access_token": access_token if access_token is not None else token(fake)}
    return call(fake, "POST", "/cgi-bin/message/send", params, {"agentid": 1000002, **body})


TEXT = {"msgtype": "text", "text": {"content": "hi"}}


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        (TEXT, 0),
        ({"msgtype": "text", "text": {"content": "x" * 2049}}, 40058),
        ({"msgtype": "text", "text": {"content": "告" * 682 + "xx"}}, 0),  # 2048 bytes
        ({"msgtype": "text", "text": {"content": "告" * 683}}, 40058),  # 2049 bytes
        ({"msgtype": "markdown", "markdown": {"content": "告" * 1366}}, 40058),  # 4098 bytes
        ({"msgtype": "news", "news": {}}, 40008),
        ({"msgtype": "text", "text": {"content": "hi", "colour": "red"}}, 40035),
        ({"msgtype": "text", "text": {"content": ""}}, 40035),
        ([TEXT], 40035),
    ],
)
def test_the_robot_checks_type_fields_and_byte_caps(body: Any, errcode: int) -> None:
    assert robot(FakeWeCom(), body) == errcode


def test_an_unknown_robot_key_is_93000() -> None:
    assert robot(FakeWeCom(), TEXT, key="not-a-robot") == 93000


def test_gettoken_checks_corpid_and_secret_and_reuses_a_valid_token() -> None:
    fake = FakeWeCom()
    bad_corp = call(fake, "GET", "/cgi-bin/gettoken", {"corpid": "x", "corpsecret": CORP_SECRET})
    bad_secret = call(fake, "GET", "/cgi-bin/gettoken", {"corpid": CORP_ID, "corpsecret": "x"})
    assert (bad_corp["errcode"], bad_secret["errcode"]) == (40013, 40001)
    assert token(fake) == token(fake) and fake.tokens_issued == 1


def test_message_send_checks_the_token() -> None:
    now = [0.0]
    fake = FakeWeCom(clock=lambda: now[0], token_ttl=10)
    body = {"touser": "ada", **TEXT}
    assert send(fake, body, access_token="")["errcode"] == 41001
    assert send(fake, body, access_token="forged")["errcode"] == 40014
    valid = token(fake)
    now[0] = 11
    assert send(fake, body, access_token=valid)["errcode"] == 42001


def test_message_send_checks_recipients_agent_and_lengths() -> None:
    fake = FakeWeCom(users={f"u{i}" for i in range(1001)})
    assert send(fake, {**TEXT})["errcode"] == 40035  # nobody to send to
    assert send(fake, {"touser": "u1", **TEXT, "agentid": 1})["errcode"] == 40035
    everyone = "|".join(f"u{i}" for i in range(1001))
    assert send(fake, {"touser": everyone, **TEXT})["errcode"] == 40032
    long = {"msgtype": "markdown", "markdown": {"content": "x" * 2049}}
    assert send(fake, {"touser": "u1", **long})["errcode"] == 40058
    assert fake.delivered == []


def test_partial_and_total_recipient_failures() -> None:
    fake = FakeWeCom(unlicensed={"lisi"})
    reply = send(fake, {"touser": "ZhangSan|Nobody|lisi", **TEXT})
    assert reply["errcode"] == 0
    assert (reply["invaliduser"], reply["unlicenseduser"]) == ("nobody", "lisi")
    assert fake.userids_delivered() == ["ZhangSan"]
    assert send(fake, {"touser": "nobody|ghost", **TEXT})["errcode"] == 81013
