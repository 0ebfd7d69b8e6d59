"""Helpers the web admin tests share: the test users and signing in."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

PASSWORDS = {
    "ada": "ada-admin-password",
    "eddie": "eddie-editor-password",
    "vera": "vera-viewer-password",
}
ROLES = {"ada": "admin", "eddie": "editor", "vera": "viewer"}
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')

Client = AsyncTestClient[Litestar]


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(client: Client, name: str, password: str | None = None) -> Any:
    page = await client.get("/admin/login")
    return await client.post(
        "/admin/login",
        data={"_csrf": csrf_of(page.text), "name": name, "password": password or PASSWORDS[name]},
        follow_redirects=False,
    )


async def csrf_for(client: Client) -> str:
    """The CSRF token of the client's session (from any page's sign-out form)."""
    return csrf_of((await client.get("/admin/")).text)
