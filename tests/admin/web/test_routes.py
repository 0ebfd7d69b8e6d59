"""Walks EVERY registered route of the app: nothing answers without credentials except
the login page, /health and ingestion (write keys / platform-signed plugin routes), and
a viewer can't use any route that changes something."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from tests.admin.web.helpers import Client, csrf_for

#: Public on purpose: load balancers, the login form, SDK ingestion (write key auth).
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/admin/login"),
    ("POST", "/admin/login"),
}
#: POST routes that compute or sign out but change no configuration: a viewer may.
VIEWER_POSTS = {
    "/admin/logout",
    "/admin/segments/preview",
    "/api/v1/segments/preview",
    "/api/v1/segments/{name:str}/uplift",
    "/api/v1/messages/preview",
}
SAMPLE = {"int": "1", "str": "sample", "path": "openapi.json"}


def concrete(path: str) -> str:
    """The route's path with its parameters filled in."""
    return re.sub(r"\{(\w+):(\w+)\}", lambda m: SAMPLE[m.group(2)], path)


def endpoints(app: Litestar) -> list[tuple[str, str]]:
    """Every (method, path template) the app serves, but the automatic OPTIONS answers."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method in sorted(route.methods):
            if method not in ("OPTIONS", "HEAD"):
                found.append((method, route.path))
    return found


def ingestion(app: Litestar) -> set[str]:
    """Paths contributed by plugins (receivers): they authenticate their own senders."""
    plugins = app.state.plugins
    return {path for handler in plugins.routes() for path in handler.paths}


def test_the_walk_sees_every_part_of_the_app(app: Litestar) -> None:
    paths = {path for _, path in endpoints(app)}
    for expected in (
        "/admin",
        "/admin/connections",
        "/api/v1/segments",
        "/api/schema",
        "/v1/track",
    ):
        assert expected in paths
    assert len(paths) > 50


async def test_every_route_needs_credentials(app: Litestar, anonymous: Client) -> None:
    receivers = ingestion(app)
    checked = 0
    for method, path in endpoints(app):
        if (method, path) in PUBLIC or path in receivers:
            continue
        response = await anonymous.request(method, concrete(path), follow_redirects=False)
        checked += 1
        if path.startswith("/admin") and method == "GET":
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/admin/login?next=")
        else:
            assert response.status_code == 401, (method, path, response.status_code)
    assert checked > 40


async def test_ingestion_routes_check_their_own_credentials(
    app: Litestar, anonymous: Client
) -> None:
    for path in ingestion(app):
        if not path.startswith("/v1/"):
            continue
        response = await anonymous.post(path, json={"type": "track", "event": "x"})
        assert response.status_code in (400, 401), path  # refused: no write key


async def test_a_bad_token_or_stale_cookie_is_not_enough(app: Litestar, anonymous: Client) -> None:
    anonymous.cookies.set("junction_session", "forged")
    for method, path in endpoints(app):
        if (method, path) in PUBLIC or path in ingestion(app) or method != "GET":
            continue
        response = await anonymous.get(
            concrete(path), headers={"authorization": "Bearer jt_forged"}, follow_redirects=False
        )
        assert response.status_code in (303, 401), (path, response.status_code)


async def test_a_viewer_can_change_nothing(app: Litestar, viewer: Client) -> None:
    csrf = await csrf_for(viewer)
    receivers = ingestion(app)
    checked = 0
    for method, path in endpoints(app):
        if method == "GET" or (method, path) in PUBLIC or path in receivers:
            continue
        if path in VIEWER_POSTS:
            continue
        response = await viewer.request(
            method,
            concrete(path),
            data={"_csrf": csrf},
            headers={"x-csrf-token": csrf},
            follow_redirects=False,
        )
        checked += 1
        assert response.status_code == 403, (method, path, response.status_code, response.text)
    assert checked >= 20


@pytest.mark.parametrize("path", ["/admin/tokens", "/admin/users"])
async def test_admin_pages_are_admin_only(editor: Client, path: str) -> None:
    assert (await editor.get(path)).status_code == 403
