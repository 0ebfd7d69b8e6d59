"""The one-click unsubscribe route, through the hub app with a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from junction.core.connections import Connections
from junction.core.db import Database
from junction.core.db.tables import Connection
from junction.core.db.tables import Event as EventRow
from junction.core.secrets import SecretBox, generate_key
from junction.destinations.email.tokens import sign
from junction.plugins.manager import Plugins, load_plugins

from .common import UNSUBSCRIBE_SECRET
from .hub import hub_client

PATH = "/hooks/email/unsubscribe"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}
CONFIG: dict[str, Any] = {
    "host": "smtp.shop.example",
    "from_address": "news@shop.example",
    "unsubscribe_secret": UNSUBSCRIBE_SECRET,
    "public_url": "https://hub.shop.example",
    "list_id": "news.shop.example",
    "username": "junction-sender",
    "password": "smtp-pass-0123456789",
    "unsubscribe_link_days": 30,
}


@pytest.fixture
def plugins() -> Plugins:
    return load_plugins(builtins=("junction.destinations.email",), entry_points=False)


@pytest.fixture
async def connections(db: Database, plugins: Plugins, tmp_path: Path) -> Connections:
    service = Connections(db, plugins, SecretBox.from_settings(generate_key(), tmp_path))
    await service.create(name="newsletter", plugin="email", config=CONFIG, actor="admin")
    return service


@pytest.fixture
async def client(
    tmp_path: Path, db: Database, plugins: Plugins, connections: Connections
) -> AsyncIterator[httpx.AsyncClient]:
    async with hub_client(tmp_path, db, plugins, connections) as client:
        yield client


def token(
    *,
    connection: str = "newsletter",
    email: str = "ada@example.org",
    purpose: str = "email",
    age: timedelta = timedelta(days=1),
    secret: str = UNSUBSCRIBE_SECRET,
) -> str:
    issued_at = datetime.now(UTC) - age
    return sign(secret, connection=connection, email=email, purpose=purpose, issued_at=issued_at)


async def withdrawals(db: Database) -> list[dict[str, Any]]:
    """The consent decisions stored (as synthetic identify events), oldest first."""
    query = select(EventRow).where(EventRow.type == "identify").order_by(EventRow.id)
    async with db.sessions() as session:
        rows = (await session.scalars(query)).all()
    return [
        {**row.context["consent"], "identifiers": row.context["identifiers"]}
        for row in rows
        if "consent" in row.context
    ]


async def test_one_click_post_withdraws_consent(client: httpx.AsyncClient, db: Database) -> None:
    response = await client.post(
        PATH,
        params={"t": token(purpose="newsletter")},
        data=ONE_CLICK,
        headers={"User-Agent": "Gmail one-click unsubscribe"},
    )
    assert response.status_code == 200
    assert "unsubscribed" in response.text and "ad…@example.org" in response.text
    (stored,) = await withdrawals(db)
    assert (stored["purpose"], stored["status"]) == ("newsletter", "withdrawn")
    assert stored["source"] == "email_unsubscribe_link"
    assert stored["userAgent"] == "Gmail one-click unsubscribe"
    assert stored["identifiers"] == [{"type": "email", "value": "ada@example.org", "scope": ""}]


async def test_multipart_one_click_is_accepted_too(client: httpx.AsyncClient, db: Database) -> None:
    response = await client.post(
        PATH, params={"t": token()}, files={"List-Unsubscribe": (None, "One-Click")}
    )
    assert response.status_code == 200
    assert len(await withdrawals(db)) == 1


async def test_a_bare_one_click_body_without_a_form_type_is_understood(
    client: httpx.AsyncClient, db: Database
) -> None:
    response = await client.post(PATH, params={"t": token()}, content=b"List-Unsubscribe=One-Click")
    assert response.status_code == 200
    assert len(await withdrawals(db)) == 1


async def test_get_shows_a_confirmation_and_changes_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    link = token()
    response = await client.get(PATH, params={"t": link})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert '<form method="post"' in response.text
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in response.text
    assert f'action="?t={link}"' in response.text
    assert await withdrawals(db) == []


async def test_a_repeated_unsubscribe_is_harmless(client: httpx.AsyncClient, db: Database) -> None:
    link = token()
    first = await client.post(PATH, params={"t": link}, data=ONE_CLICK)
    again = await client.post(PATH, params={"t": link}, data=ONE_CLICK)
    assert (first.status_code, again.status_code) == (200, 200)
    assert {w["status"] for w in await withdrawals(db)} == {"withdrawn"}


async def test_a_post_without_the_one_click_body_changes_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    response = await client.post(PATH, params={"t": token()}, data={"List-Unsubscribe": "yes"})
    assert response.status_code == 400
    assert "List-Unsubscribe=One-Click" in response.text
    assert await withdrawals(db) == []


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_forged_token_is_403(client: httpx.AsyncClient, db: Database, method: str) -> None:
    forged = token(secret="an-attacker-guess-0123456789abcdef0123")
    response = await client.request(method, PATH, params={"t": forged}, data=ONE_CLICK)
    assert response.status_code == 403
    assert "Invalid link" in response.text and UNSUBSCRIBE_SECRET not in response.text
    assert await withdrawals(db) == []


async def test_a_token_for_someone_else_can_not_be_made_from_a_real_one(
    client: httpx.AsyncClient, db: Database
) -> None:
    real = token()
    other_payload = token(email="eve@example.org").split(".")[0]
    spliced = f"{other_payload}.{real.split('.')[1]}"
    response = await client.post(PATH, params={"t": spliced}, data=ONE_CLICK)
    assert response.status_code == 403
    assert await withdrawals(db) == []


async def test_an_expired_token_is_400_with_a_clear_page(
    client: httpx.AsyncClient, db: Database
) -> None:
    response = await client.post(PATH, params={"t": token(age=timedelta(days=31))}, data=ONE_CLICK)
    assert response.status_code == 400
    assert "expired" in response.text
    assert await withdrawals(db) == []


@pytest.mark.parametrize("bad", ["", "garbage", "a.b.c", "e30.e30"])
async def test_malformed_tokens_are_400(client: httpx.AsyncClient, bad: str) -> None:
    response = await client.post(PATH, params={"t": bad} if bad else {}, data=ONE_CLICK)
    assert response.status_code == 400
    assert "damaged or incomplete" in response.text


async def test_a_token_of_an_unknown_connection_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(PATH, params={"t": token(connection="gone")}, data=ONE_CLICK)
    assert response.status_code == 404
    assert "no longer active" in response.text


async def test_a_disabled_connection_no_longer_unsubscribes(
    client: httpx.AsyncClient, db: Database
) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(Connection).where(Connection.name == "newsletter").values(enabled=False)
        )
    response = await client.post(PATH, params={"t": token()}, data=ONE_CLICK)
    assert response.status_code == 404
