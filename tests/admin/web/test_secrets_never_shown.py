"""No page or JSON response ever contains a connection secret.

Connections are created and edited through the admin's own forms with known secret
values; then every GET page (with real names and ids) and the JSON API are fetched and
searched for those values.
"""

from __future__ import annotations

import json
import re

from litestar import Litestar

from junction.admin.demo_data import ORDER_SOURCE_CONFIG
from junction.core.connections import Connections
from junction.core.db import Database
from tests.admin.web.helpers import Client, csrf_for
from tests.admin.web.test_routes import endpoints

SECRETS = {
    "webhook": ("signing_secret", "whsec-9f8e7d6c5b4a-known-secret"),
    "orderdb": ("password", "orderdb-pw-1a2b3c4d-known-secret"),
    "hello_webhook": ("token", "hello-token-5e6f7a8b-known-secret"),
}


async def _create_connections(admin: Client) -> None:
    csrf = await csrf_for(admin)
    forms = {
        "webhook": {"url": "http://127.0.0.1:9/hook"},
        "orderdb": {
            "url": "sqlite:///nowhere.db",
            "table": "orders",
            "columns": json.dumps(ORDER_SOURCE_CONFIG["columns"]),
            "identifiers": json.dumps(ORDER_SOURCE_CONFIG["identifiers"]),
        },
        "hello_webhook": {"url": "http://127.0.0.1:9/hello"},
    }
    for plugin, fields in forms.items():
        secret_field, value = SECRETS[plugin]
        response = await admin.post(
            f"/admin/connections/new/{plugin}",
            data={
                "_csrf": csrf,
                "name": f"my-{plugin}".replace("_", "-"),
                **fields,
                secret_field: value,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text


async def test_no_page_or_response_contains_a_secret(app: Litestar, admin: Client) -> None:
    await _create_connections(admin)
    names = {"str": "my-webhook", "int": "1"}
    csrf = await csrf_for(admin)
    # Edit with the secret left blank (kept) and run a check, so those paths render too.
    edit = await admin.post(
        "/admin/connections/my-webhook/edit",
        data={"_csrf": csrf, "url": "http://127.0.0.1:9/other", "signing_secret": ""},
        follow_redirects=False,
    )
    assert edit.status_code == 303
    check = await admin.post("/admin/connections/my-webhook/check", data={"_csrf": csrf})
    bodies = [edit.text, check.text]
    for method, path in endpoints(app):
        if method != "GET" or "{path:" in path:
            continue
        for name in ("my-webhook", "my-orderdb", "my-hello-webhook"):
            names["str"] = name
            url = re.sub(r"\{\w+:(\w+)\}", lambda m: names[m.group(1)], path)
            response = await admin.get(url, headers={"accept": "application/json"})
            bodies.append(response.text)
    bodies.append((await admin.get("/admin/audit")).text)
    for _, value in SECRETS.values():
        leaked = [body[:200] for body in bodies if value in body]
        assert not leaked, f"secret {value} appeared in {leaked}"


async def test_a_blank_secret_keeps_the_stored_one(
    app: Litestar, db: Database, admin: Client
) -> None:
    await _create_connections(admin)
    csrf = await csrf_for(admin)
    page = await admin.get("/admin/connections/my-webhook/edit")
    assert 'type="password"' in page.text and "leave blank to keep it" in page.text
    await admin.post(
        "/admin/connections/my-webhook/edit",
        data={"_csrf": csrf, "url": "http://127.0.0.1:9/other", "signing_secret": ""},
    )
    state = app.state
    ctx = await Connections(db, state.plugins, state.secrets).context("my-webhook")
    assert ctx.config.signing_secret == SECRETS["webhook"][1]
    assert ctx.config.url == "http://127.0.0.1:9/other"
    await admin.post(
        "/admin/connections/my-webhook/edit",
        data={
            "_csrf": csrf,
            "url": "http://127.0.0.1:9/other",
            "signing_secret": "new-signing-secret-0123456789",
        },
    )
    ctx = await Connections(db, state.plugins, state.secrets).context("my-webhook")
    assert ctx.config.signing_secret == "new-signing-secret-0123456789"
