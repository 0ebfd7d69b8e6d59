"""API tokens and admin users: both managed by admins only."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post

from junction.admin.web.auth import session_of
from junction.admin.web.controllers.common import (
    ADMIN,
    IntPath,
    Req,
    StrPath,
    error_flash,
    flash,
    form_data,
    gettext,
    see_other,
)
from junction.admin.web.render import render
from junction.core import api_tokens
from junction.core.api_tokens import Role
from junction.core.errors import ConfigError
from junction.core.users import create_user, disable_user, list_users

ROLES = [role.value for role in Role]


class TokenController(Controller):
    path = "/tokens"
    opt = ADMIN

    @get("/", name="web:tokens")
    async def index(self, request: Req) -> Response[Any]:
        return await self._page(request, flash=flash(request))

    @post("/", name="web:token-create")
    async def create(self, request: Req) -> Response[Any]:
        form = await form_data(request)
        try:
            token, view = await api_tokens.create_token(
                request.app.state.db,
                name=form.get("name", ""),
                role=form.get("role", "viewer"),
                actor=session_of(request).actor,
            )
        except ConfigError as exc:
            return await self._page(request, flash=error_flash(request, str(exc)), status=400)
        # The plaintext is on this response only; the hub keeps its SHA-256.
        return await self._page(request, created=(view, token))

    @post("/{token_id:int}/revoke", name="web:token-revoke")
    async def revoke(self, request: Req, token_id: IntPath) -> Response[Any]:
        await api_tokens.revoke_token(
            request.app.state.db, token_id, actor=session_of(request).actor
        )
        return see_other("/admin/tokens?done=revoked")

    async def _page(
        self,
        request: Req,
        *,
        flash: dict[str, str] | None = None,
        created: tuple[Any, str] | None = None,
        status: int = 200,
    ) -> Response[Any]:
        return render(
            request,
            "tokens.html",
            status_code=status,
            tokens=await api_tokens.list_tokens(request.app.state.db),
            roles=ROLES,
            created=created,
            flash=flash,
        )


class UserController(Controller):
    path = "/users"
    opt = ADMIN

    @get("/", name="web:users")
    async def index(self, request: Req) -> Response[Any]:
        return await self._page(request, flash=flash(request))

    @post("/", name="web:user-create")
    async def create(self, request: Req) -> Response[Any]:
        form = await form_data(request)
        try:
            await create_user(
                request.app.state.db,
                name=form.get("name", ""),
                password=form.get("password", ""),
                role=form.get("role", "viewer"),
                actor=session_of(request).actor,
            )
        except ConfigError as exc:
            return await self._page(request, flash=error_flash(request, str(exc)), status=400)
        return see_other("/admin/users?done=created")

    @post("/{name:str}/disable", name="web:user-disable")
    async def disable(self, request: Req, name: StrPath) -> Response[Any]:
        info = session_of(request)
        if name == info.user:
            return await self._page(
                request,
                flash=error_flash(request, gettext(request)("You can't disable yourself.")),
                status=400,
            )
        await disable_user(request.app.state.db, name, actor=info.actor)
        return see_other("/admin/users?done=disabled")

    async def _page(
        self, request: Req, *, flash: dict[str, str] | None = None, status: int = 200
    ) -> Response[Any]:
        return render(
            request,
            "users.html",
            status_code=status,
            users=await list_users(request.app.state.db),
            roles=ROLES,
            flash=flash,
        )
