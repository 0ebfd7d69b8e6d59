"""Signing in and out, session cookies, CSRF, login throttling, and sessions on the API."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from junction.core import login_throttle
from junction.core.audit import list_entries
from junction.core.db import Database
from junction.core.users import disable_user
from tests.admin.web.helpers import PASSWORDS, Client, csrf_for, csrf_of, sign_in


async def test_signing_in_sets_a_locked_down_session_cookie(
    db: Database, anonymous: Client
) -> None:
    response = await sign_in(anonymous, "ada")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/"
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("junction_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # served over plain http here
    page = await anonymous.get("/admin/")
    assert page.status_code == 200 and "ada · " in page.text
    entries = await list_entries(db, action="login")
    assert [e.actor for e in entries] == ["user:ada"]


async def test_the_cookie_is_secure_over_https(app: Litestar) -> None:
    async with AsyncTestClient(app, base_url="https://testserver.local") as client:
        response = await sign_in(client, "ada")
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("junction_session=")
    )
    assert "Secure" in cookie


async def test_a_wrong_password_is_refused_and_audited(db: Database, anonymous: Client) -> None:
    response = await sign_in(anonymous, "ada", "not-the-password")
    assert response.status_code == 401
    assert "Wrong user name or password." in response.text
    assert (await anonymous.get("/admin/", follow_redirects=False)).status_code == 303
    failed = await list_entries(db, action="login.failed")
    assert [e.target for e in failed] == ["user:ada"]
    assert "not-the-password" not in str(failed)


async def test_next_only_redirects_inside_the_admin(anonymous: Client) -> None:
    page = await anonymous.get("/admin/login?next=https://evil.example/")
    response = await anonymous.post(
        "/admin/login",
        data={
            "_csrf": csrf_of(page.text),
            "name": "ada",
            "password": PASSWORDS["ada"],
            "next": "https://evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/admin/"


async def test_login_needs_the_forms_csrf_token(anonymous: Client) -> None:
    await anonymous.get("/admin/login")
    response = await anonymous.post(
        "/admin/login", data={"name": "ada", "password": PASSWORDS["ada"]}, follow_redirects=False
    )
    assert response.status_code == 403
    assert (await anonymous.get("/admin/", follow_redirects=False)).status_code == 303


async def test_repeated_failures_lock_the_name_from_that_address(
    db: Database, anonymous: Client
) -> None:
    for _ in range(login_throttle.MAX_FAILURES):
        assert (await sign_in(anonymous, "ada", "guess-guess-guess")).status_code == 401
    locked = await sign_in(anonymous, "ada")  # even the right password, for now
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text
    # Another user from the same address, and the same user elsewhere, are unaffected.
    assert (await sign_in(anonymous, "eddie")).status_code == 303
    assert await login_throttle.locked_until(db, "ada", "10.0.0.9") is None
    assert await login_throttle.locked_until(db, "ada", "testclient") is not None


async def test_forms_without_the_sessions_csrf_token_are_refused(editor: Client) -> None:
    response = await editor.post("/admin/segments/new", data={"name": "x", "condition": "{}"})
    assert response.status_code == 403
    assert "security token" in response.text
    response = await editor.post(
        "/admin/segments/new", data={"_csrf": "forged", "name": "x", "condition": "{}"}
    )
    assert response.status_code == 403


async def test_signing_out_ends_the_session(admin: Client) -> None:
    csrf = await csrf_for(admin)
    stolen = admin.cookies.get("junction_session")
    response = await admin.post("/admin/logout", data={"_csrf": csrf}, follow_redirects=False)
    assert response.headers["location"] == "/admin/login"
    admin.cookies.set("junction_session", stolen or "")
    assert (await admin.get("/admin/", follow_redirects=False)).status_code == 303


async def test_disabling_a_user_ends_their_sessions(db: Database, viewer: Client) -> None:
    assert (await viewer.get("/admin/")).status_code == 200
    await disable_user(db, "vera", actor="test")
    assert (await viewer.get("/admin/", follow_redirects=False)).status_code == 303
    assert (await sign_in(viewer, "vera")).status_code == 401


async def test_a_session_works_on_the_api_with_csrf_for_changes(editor: Client) -> None:
    assert (await editor.get("/api/v1/segments")).status_code == 200
    body = {"name": "vips", "condition": {"type": "tag", "tag": "vip"}}
    assert (await editor.post("/api/v1/segments", json=body)).status_code == 403
    csrf = await csrf_for(editor)
    created = await editor.post("/api/v1/segments", json=body, headers={"x-csrf-token": csrf})
    assert created.status_code == 201
    assert created.json()["created_by"] == "user:eddie"


async def test_the_openapi_schema_needs_credentials(viewer: Client) -> None:
    assert (await viewer.get("/api/schema/openapi.json")).status_code == 200
    viewer.cookies.clear()
    assert (await viewer.get("/api/schema/openapi.json")).status_code == 401
