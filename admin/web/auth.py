"""Sessions, roles and CSRF for the web admin.

Every page goes through :func:`require_user`: a request without a live session is sent
to the login page (GET) or refused (anything else); a handler states the role it needs
with ``opt={"role": Role.EDITOR}`` (default viewer). Every request that can change
something (any method but GET/HEAD/OPTIONS) must carry the session's CSRF token, as
the ``_csrf`` form field or the ``X-CSRF-Token`` header; it is compared in constant
time. The session cookie is HttpOnly, SameSite=Lax, and Secure when served over https.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from junction.core.api_tokens import Role
from junction.core.web_sessions import IDLE_TIMEOUT, SessionInfo, open_session

SESSION_COOKIE = "junction_session"
LOGIN_CSRF_COOKIE = "junction_login_csrf"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Connection = ASGIConnection[Any, Any, Any, Any]


class LoginRequired(NotAuthorizedException):
    """No live session: pages redirect to the login form, other requests get a 401."""


class CsrfFailed(PermissionDeniedException):
    """A state-changing request without the session's CSRF token."""


async def current_session(connection: Connection) -> SessionInfo | None:
    """The live session of this request (cached on the connection), or None."""
    cached = connection.scope.get("state", {}).get("web_session")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    token = connection.cookies.get(SESSION_COOKIE, "")
    info = await open_session(connection.app.state.db, token) if token else None
    if info is not None:
        connection.state.web_session = info
    return info


async def require_user(connection: Connection, handler: BaseRouteHandler) -> None:
    """The guard of every admin page: a session, the handler's role, and CSRF."""
    info = await current_session(connection)
    if info is None:
        raise LoginRequired("sign in first")
    needed = Role(handler.opt.get("role", Role.VIEWER))
    if not info.role.allows(needed):
        raise PermissionDeniedException(
            f"this needs the {needed.value} role; {info.user} is {info.role.value}"
        )
    if connection.scope.get("method", "GET") not in SAFE_METHODS:
        await check_csrf(connection, info.csrf_token)


async def check_csrf(connection: Connection, expected: str) -> None:
    """Refuse unless the request carries ``expected`` (header or form field)."""
    sent = connection.headers.get(CSRF_HEADER, "")
    if not sent and isinstance(connection, Request):
        form = await connection.form()
        sent = str(form.get(CSRF_FIELD, ""))
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed("the form's security token is missing or stale; reload the page")


def session_of(request: Request[Any, Any, Any]) -> SessionInfo:
    """The session :func:`require_user` found (only call from guarded handlers)."""
    info: SessionInfo = request.state.web_session
    return info


def is_https(connection: Connection) -> bool:
    return connection.url.scheme == "https"


def session_cookie(connection: Connection, token: str) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(connection),
        max_age=int(IDLE_TIMEOUT.total_seconds()),
    )


def clear_session_cookie(connection: Connection) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value="",
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(connection),
        max_age=0,
    )


def redirect_to_login(request: Request[Any, Any, Any]) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Response(
        content=b"",
        status_code=303,
        headers={"location": f"/admin/login?next={quote(target, safe='')}"},
    )
