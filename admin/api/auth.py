"""Authentication for /api/v1: every route needs a token (or a session); some a role.

A bearer token is the API's own credential. A request without one may instead carry a
signed-in web admin session cookie (the admin's pages call the API from the browser);
such a request that can change something must also send the session's CSRF token in
``X-CSRF-Token``, since the browser attaches cookies to cross-site requests too.

A handler states the role it needs with ``opt={"role": "admin"}``; the default is
``viewer``. The authenticated :class:`Principal` is put on ``request.state.principal``.
"""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from junction.admin.web.auth import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, current_session
from junction.core.api_tokens import Principal, Role, authenticate

Connection = ASGIConnection[Any, Any, Any, Any]


async def require_token(connection: Connection, handler: BaseRouteHandler) -> None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header and connection.cookies.get(SESSION_COOKIE):
        principal = await _session_principal(connection)
    elif scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException("send an API token: `Authorization: Bearer jt_...`")
    else:
        principal = await authenticate(connection.app.state.db, token.strip())
    if principal is None:
        raise NotAuthorizedException("the API token is unknown or revoked")
    needed = Role(handler.opt.get("role", Role.VIEWER))
    if not principal.role.allows(needed):
        raise PermissionDeniedException(
            f"this needs the {needed.value} role; "
            f"token {principal.name!r} is {principal.role.value}"
        )
    connection.state.principal = principal


async def _session_principal(connection: Connection) -> Principal | None:
    info = await current_session(connection)
    if info is None:
        raise NotAuthorizedException("the session has ended: sign in again, or send a token")
    if connection.scope.get("method", "GET") not in SAFE_METHODS:
        sent = connection.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), info.csrf_token.encode()):
            raise PermissionDeniedException("send the session's CSRF token in X-CSRF-Token")
    return Principal(token_id=0, name=info.user, role=info.role, kind="user")


def principal_of(connection: Connection) -> Principal:
    principal: Principal = connection.state.principal
    return principal
