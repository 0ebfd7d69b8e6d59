"""Bearer-token authentication for /api/v1: every route needs a token; some a role.

A handler states the role it needs with ``opt={"role": "admin"}``; the default is
``viewer``. The authenticated :class:`Principal` is put on ``request.state.principal``.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from junction.core.api_tokens import Principal, Role, authenticate

Connection = ASGIConnection[Any, Any, Any, Any]


async def require_token(connection: Connection, handler: BaseRouteHandler) -> None:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException("send an API token: `Authorization: Bearer jt_...`")
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


def principal_of(connection: Connection) -> Principal:
    principal: Principal = connection.state.principal
    return principal
