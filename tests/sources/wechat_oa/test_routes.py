"""The callback route, through the hub app with a real database, WeChat played by the fake."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from junction.admin.app import create_app
from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Event as EventRow
from junction.core.ingest import GroupCommitWriter, HubIngest
from junction.core.secrets import SecretBox, generate_key
from junction.core.settings import Settings
from junction.plugins.manager import Plugins, load_plugins
from junction.sources.wechat_oa.callbacks import parse_xml
from junction.sources.wechat_oa.routes import NONCES
from tests.fakes.wechat_oa import SignedRequest, WechatServer, push_xml

from .conftest import AES_KEY, APP_ID, APP_SECRET, CALLBACK_TOKEN, OLD_AES_KEY
from .hub import running, send

PATH = "/hooks/wechat_oa/official"
OPENID = "oF00042xyz"


@pytest.fixture
def plugins() -> Plugins:
    return load_plugins(builtins=("junction.sources.wechat_oa",), entry_points=False)


@pytest.fixture
def connections(db: Database, plugins: Plugins, tmp_path: Path) -> Connections:
    return Connections(db, plugins, SecretBox.from_settings(generate_key(), tmp_path))


@pytest.fixture
def mode() -> dict[str, str]:
    """The connection's message mode settings; tests override it by parametrizing."""
    return {"message_mode": "plaintext"}


@pytest.fixture
async def connection(connections: Connections, mode: dict[str, str]) -> str:
    await connections.create(
        name="official",
        plugin="wechat_oa",
        config={
            "app_id": APP_ID,
            "app_secret": APP_SECRET,
            "callback_token": CALLBACK_TOKEN,
            **mode,
        },
        actor="admin",
    )
    return "official"


@pytest.fixture
async def client(
    tmp_path: Path, db: Database, plugins: Plugins, connections: Connections, connection: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings.from_env(
        {"JUNCTION_HOME": str(tmp_path), "JUNCTION_DATABASE_URL": str(db.engine.url)}
    )
    ingest = HubIngest(db, writer=GroupCommitWriter(db, max_delay=0.02), connections=connections)
    app = create_app(settings, plugins=plugins, db=db, ingest=ingest, workers=False)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            yield client


@pytest.fixture
def wechat() -> WechatServer:
    return WechatServer(token=CALLBACK_TOKEN, app_id=APP_ID, encoding_aes_key=AES_KEY)


async def events(db: Database, type: str = "track") -> list[EventRow]:
    """The stored events of ``type`` (profile updates are stored as ``identify``)."""
    query = select(EventRow).where(EventRow.type == type).order_by(EventRow.id)
    async with db.sessions() as session:
        return list((await session.scalars(query)).all())


async def everything(db: Database) -> list[EventRow]:
    async with db.sessions() as session:
        return list((await session.scalars(select(EventRow))).all())


def error_of(response: httpx.Response) -> dict[str, Any]:
    return response.json()["error"]


# --- URL verification ---------------------------------------------------------------------


async def test_url_verification_echoes_echostr(
    client: httpx.AsyncClient, wechat: WechatServer
) -> None:
    request = wechat.verification(PATH, echostr="7318645032749183")
    response = await client.get(request.url)
    assert response.status_code == 200
    assert response.text == "7318645032749183"


async def test_url_verification_with_another_token_is_refused(client: httpx.AsyncClient) -> None:
    impostor = WechatServer(token="someOtherToken", app_id=APP_ID)
    response = await client.get(impostor.verification(PATH, echostr="123").url)
    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_signature"
    assert "123" not in response.text and CALLBACK_TOKEN not in response.text


async def test_an_unknown_connection_is_404(
    client: httpx.AsyncClient, wechat: WechatServer
) -> None:
    response = await client.get(wechat.verification("/hooks/wechat_oa/nobody").url)
    assert response.status_code == 404
    assert "nobody" in error_of(response)["message"]


# --- plaintext pushes ---------------------------------------------------------------------


async def test_a_subscribe_by_qr_code_is_stored_as_a_track_event(
    client: httpx.AsyncClient, wechat: WechatServer, db: Database
) -> None:
    body = wechat.event(
        OPENID, "subscribe", created=1_714_000_000, EventKey="qrscene_spring", Ticket="TICKET1"
    )
    response = await send(client, wechat.push(PATH, body, openid=OPENID))
    assert (response.status_code, response.text) == (200, "success")
    (row,) = await events(db)
    assert (row.type, row.name, row.anonymous_id) == (
        "track",
        "wechat_subscribe",
        f"wechat:{APP_ID}:{OPENID}",
    )
    assert row.message_id.startswith("wechat-oa-")
    assert row.properties == {"EventKey": "qrscene_spring", "Ticket": "TICKET1"}
    assert row.context["identifiers"] == [
        {"type": "wechat_openid", "value": OPENID, "scope": APP_ID}
    ]
    assert row.original_timestamp is not None
    assert int(row.original_timestamp.timestamp()) == 1_714_000_000


@pytest.mark.parametrize(
    ("event", "extra", "name", "properties"),
    [
        ("unsubscribe", {}, "wechat_unsubscribe", {}),
        ("SCAN", {"EventKey": "123", "Ticket": "T"}, "wechat_scan", {"EventKey": "123"}),
        ("CLICK", {"EventKey": "MENU_OFFERS"}, "wechat_click", {"EventKey": "MENU_OFFERS"}),
        (
            "VIEW",
            {"EventKey": "https://shop.example/x"},
            "wechat_view",
            {"EventKey": "https://shop.example/x"},
        ),
        (
            "LOCATION",
            {"Latitude": "23.137466", "Longitude": "113.352425", "Precision": "119.385040"},
            "wechat_location",
            {"Latitude": "23.137466"},
        ),
    ],
)
async def test_menu_scan_location_and_unsubscribe_events(
    client: httpx.AsyncClient,
    wechat: WechatServer,
    db: Database,
    event: str,
    extra: dict[str, str],
    name: str,
    properties: dict[str, str],
) -> None:
    response = await send(client, wechat.push(PATH, wechat.event(OPENID, event, **extra)))
    assert response.text == "success"
    (row,) = await events(db)
    assert row.name == name
    assert properties.items() <= row.properties.items()


async def test_a_text_message_is_stored_with_its_msgid(
    client: httpx.AsyncClient, wechat: WechatServer, db: Database
) -> None:
    body = push_xml(
        {
            "ToUserName": "gh_0123456789ab",
            "FromUserName": OPENID,
            "CreateTime": int(time.time()),
            "MsgType": "text",
            "Content": "你好",
            "MsgId": "24612345678901234",
        }
    )
    assert (await send(client, wechat.push(PATH, body))).text == "success"
    (row,) = await events(db)
    assert row.name == "wechat_message"
    assert row.properties == {"Content": "你好", "MsgId": "24612345678901234", "MsgType": "text"}


async def test_wechat_retries_of_a_push_are_stored_once(
    client: httpx.AsyncClient, wechat: WechatServer, db: Database
) -> None:
    body = wechat.event(OPENID, "CLICK", created=1_714_000_100, EventKey="K")
    for _ in range(3):  # each retry is signed anew, with a fresh nonce
        assert (await send(client, wechat.push(PATH, body))).text == "success"
    assert len(await events(db)) == 1
    other = wechat.event(OPENID, "CLICK", created=1_714_000_100, EventKey="OTHER")
    await send(client, wechat.push(PATH, other))
    assert len(await events(db)) == 2


@pytest.mark.parametrize(("event", "subscribed"), [("subscribe", True), ("unsubscribe", False)])
async def test_a_follow_or_unfollow_also_updates_the_subscription_traits(
    client: httpx.AsyncClient, wechat: WechatServer, db: Database, event: str, subscribed: bool
) -> None:
    body = wechat.event(OPENID, event, created=1_714_000_000)
    for _ in range(2):  # WeChat's retry stores nothing new
        assert (await send(client, wechat.push(PATH, body))).text == "success"
    (update,) = await events(db, "identify")
    expected: dict[str, Any] = {"wechat_subscribed": subscribed}
    if subscribed:
        expected["wechat_subscribe_time"] = "2024-04-24T23:06:40+00:00"
    assert update.traits == expected
    assert update.context["identifiers"] == [
        {"type": "wechat_openid", "value": OPENID, "scope": APP_ID}
    ]
    assert len(await events(db)) == 1


# --- refusals -------------------------------------------------------------------------------


async def test_a_push_signed_with_another_token_is_refused_and_not_stored(
    client: httpx.AsyncClient, db: Database
) -> None:
    impostor = WechatServer(token="someOtherToken", app_id=APP_ID)
    response = await send(client, impostor.push(PATH, impostor.event(OPENID, "subscribe")))
    assert response.status_code == 401
    assert "callback_token" in error_of(response)["message"]
    assert await everything(db) == []


async def test_a_tampered_body_fails_the_signature(
    client: httpx.AsyncClient, wechat: WechatServer, db: Database
) -> None:
    signed = wechat.push(PATH, wechat.event(OPENID, "subscribe"), mode="safe")
    forged = push_xml({"ToUserName": "gh_x", "Encrypt": signed.body.decode()[-60:-20]})
    response = await send(client, SignedRequest(url=signed.url, body=forged))
    assert response.status_code == 401
    assert await everything(db) == []


async def test_a_replayed_nonce_is_refused(
    client: httpx.AsyncClient, wechat: WechatServer, db: Database
) -> None:
    request = wechat.push(PATH, wechat.event(OPENID, "subscribe"))
    assert (await send(client, request)).status_code == 200
    replay = await send(client, request)
    assert replay.status_code == 409
    assert error_of(replay)["code"] == "replayed_nonce"
    assert len(await events(db)) == 1


@pytest.mark.parametrize("age", [-400, 400])
async def test_a_timestamp_outside_the_window_is_refused(
    client: httpx.AsyncClient, wechat: WechatServer, db: Database, age: int
) -> None:
    stamp = int(time.time()) - age
    response = await send(client, wechat.push(PATH, wechat.event(OPENID, "CLICK"), timestamp=stamp))
    assert response.status_code == 403
    assert "300 s" in error_of(response)["message"]
    assert await everything(db) == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not xml at all", "invalid_xml"),
        (b"<root><a>1</a></root>", "invalid_xml"),
        (b'<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><A>&a;</A></xml>', "invalid_xml"),
        (push_xml({"MsgType": "event", "Event": "subscribe", "CreateTime": 1}), "invalid_push"),
        (push_xml({"FromUserName": OPENID, "CreateTime": "soon", "MsgType": "x"}), "invalid_push"),
        (push_xml({"FromUserName": OPENID, "CreateTime": 10**15, "MsgType": "x"}), "invalid_push"),
        # Too long for the hub's anonymousId column: refused, not a 503 WeChat retries.
        (push_xml({"FromUserName": "o" * 300, "CreateTime": 1, "MsgType": "text"}), "invalid_push"),
    ],
)
async def test_a_push_that_is_not_a_wechat_message_is_400(
    client: httpx.AsyncClient, wechat: WechatServer, db: Database, body: bytes, code: str
) -> None:
    response = await send(client, wechat.push(PATH, body))
    assert response.status_code == 400
    assert error_of(response)["code"] == code
    assert await everything(db) == []


async def test_an_oversized_body_is_413(client: httpx.AsyncClient, wechat: WechatServer) -> None:
    body = wechat.event(OPENID, "CLICK", EventKey="x" * 70_000)
    response = await send(client, wechat.push(PATH, body))
    assert response.status_code == 413


async def test_a_failed_commit_is_503_and_the_retry_with_the_same_nonce_is_welcome(
    client: httpx.AsyncClient,
    wechat: WechatServer,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    request = wechat.push(PATH, wechat.event(OPENID, "subscribe"))
    original = HubIngest.write_records

    async def broken(self: HubIngest, source: Any, events: Any) -> Any:
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(HubIngest, "write_records", broken)
    assert (await send(client, request)).status_code == 503
    monkeypatch.setattr(HubIngest, "write_records", original)
    assert (await send(client, request)).status_code == 200
    assert len(await events(db)) == 1


# --- encrypted pushes -----------------------------------------------------------------------

SAFE = {"message_mode": "safe", "encoding_aes_key": AES_KEY}


@pytest.mark.parametrize("mode", [SAFE])
@pytest.mark.parametrize("sent", ["safe", "compatible"])
async def test_encrypted_pushes_are_verified_decrypted_and_stored(
    client: httpx.AsyncClient, wechat: WechatServer, db: Database, sent: str
) -> None:
    body = wechat.event(OPENID, "SCAN", EventKey="42", Ticket="TK")
    response = await send(client, wechat.push(PATH, body, mode=sent))
    assert (response.status_code, response.text) == (200, "success")
    (row,) = await events(db)
    assert row.name == "wechat_scan"
    assert row.properties == {"EventKey": "42", "Ticket": "TK"}


@pytest.mark.parametrize("mode", [SAFE])
async def test_safe_mode_refuses_a_plaintext_push(
    client: httpx.AsyncClient, wechat: WechatServer, db: Database
) -> None:
    response = await send(client, wechat.push(PATH, wechat.event(OPENID, "subscribe")))
    assert response.status_code == 400
    assert error_of(response)["code"] == "encryption_required"
    assert await everything(db) == []


@pytest.mark.parametrize("mode", [SAFE])
async def test_a_push_encrypted_for_another_app_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    other = WechatServer(
        token=CALLBACK_TOKEN, app_id="wx1111111111111111", encoding_aes_key=AES_KEY
    )
    response = await send(client, other.push(PATH, other.event(OPENID, "subscribe"), mode="safe"))
    assert response.status_code == 400
    assert "another app id" in error_of(response)["message"]
    assert await everything(db) == []


@pytest.mark.parametrize(
    "mode", [{**SAFE, "encoding_aes_key": AES_KEY, "previous_encoding_aes_key": OLD_AES_KEY}]
)
async def test_the_previous_key_still_decrypts_while_wechat_switches_over(
    client: httpx.AsyncClient, db: Database
) -> None:
    old = WechatServer(token=CALLBACK_TOKEN, app_id=APP_ID, encoding_aes_key=OLD_AES_KEY)
    response = await send(client, old.push(PATH, old.event(OPENID, "subscribe"), mode="safe"))
    assert response.status_code == 200
    assert len(await events(db)) == 1


async def test_an_encrypted_push_to_a_plaintext_connection_without_key_is_400(
    client: httpx.AsyncClient, wechat: WechatServer, db: Database
) -> None:
    response = await send(client, wechat.push(PATH, wechat.event(OPENID, "CLICK"), mode="safe"))
    assert response.status_code == 400
    assert "encoding_aes_key" in error_of(response)["message"]
    assert await everything(db) == []


# --- passive replies ------------------------------------------------------------------------

WELCOME = "欢迎关注! Reply ]]> safely"


@pytest.mark.parametrize("mode", [{"message_mode": "plaintext", "subscribe_reply": WELCOME}])
async def test_a_follow_is_answered_with_the_welcome_reply(
    client: httpx.AsyncClient, wechat: WechatServer, db: Database
) -> None:
    response = await send(client, wechat.push(PATH, wechat.event(OPENID, "subscribe")))
    assert response.status_code == 200
    reply = parse_xml(response.content)
    assert reply["ToUserName"] == OPENID
    assert reply["FromUserName"] == wechat.original_id
    assert (reply["MsgType"], reply["Content"]) == ("text", WELCOME)
    assert len(await events(db)) == 1
    # Other pushes still get "success".
    click = await send(client, wechat.push(PATH, wechat.event(OPENID, "CLICK", EventKey="K")))
    assert click.text == "success"


@pytest.mark.parametrize("mode", [{**SAFE, "subscribe_reply": WELCOME}])
async def test_in_safe_mode_the_welcome_reply_is_encrypted_and_signed(
    client: httpx.AsyncClient, wechat: WechatServer
) -> None:
    response = await send(client, wechat.push(PATH, wechat.event(OPENID, "subscribe"), mode="safe"))
    assert response.status_code == 200
    assert b"Content" not in response.content
    reply = parse_xml(wechat.open_reply(response.content))
    assert (reply["ToUserName"], reply["Content"]) == (OPENID, WELCOME)


def test_the_nonce_book_forgets_nonces_after_the_window() -> None:
    assert NONCES.claim(-1, "n1", now=1000.0, window=300)
    assert not NONCES.claim(-1, "n1", now=1100.0, window=300)
    assert NONCES.claim(-2, "n1", now=1100.0, window=300), "nonces are per connection"
    assert NONCES.claim(-1, "n1", now=1601.0, window=300)
