"""Signing in and out. The only admin pages that need no session."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie

from junction.admin.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    check_csrf,
    clear_session_cookie,
    current_session,
    require_user,
    session_cookie,
    session_of,
)
from junction.admin.web.controllers.common import form_data
from junction.admin.web.i18n import translator
from junction.admin.web.render import language, render
from junction.core import audit, login_throttle
from junction.core.users import authenticate_user
from junction.core.web_sessions import end_session, start_session

log = logging.getLogger("junction.admin")


def _t(request: Request[Any, Any, Any]) -> Any:
    return translator(language(request))


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str) -> str:
    # Only paths inside the admin: an open redirect would make phishing links look ours.
    if target.startswith("/admin") and not target.startswith("//"):
        return target
    return "/admin/"


def _login_page(
    request: Request[Any, Any, Any], *, error: str = "", name: str = "", status: int = 200
) -> Response[str]:
    # A pre-session CSRF token (double submit): the form's copy must match the cookie's.
    token = secrets.token_urlsafe(32)
    cookie = Cookie(
        key=LOGIN_CSRF_COOKIE,
        value=token,
        path="/admin/login",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return render(
        request,
        "login.html",
        status_code=status,
        cookies=[cookie],
        csrf_token=token,
        error=error,
        name=name,
        next=_safe_next(request.query_params.get("next", "/admin/")),
    )


class LoginController(Controller):
    path = "/admin"

    @get("/login", name="web:login")
    async def form(self, request: Request[Any, Any, Any]) -> Response[Any]:
        if await current_session(request) is not None:
            return Response(b"", status_code=303, headers={"location": "/admin/"})
        return _login_page(request)

    @post("/login", name="web:login-submit")
    async def submit(self, request: Request[Any, Any, Any]) -> Response[Any]:
        await check_csrf(request, request.cookies.get(LOGIN_CSRF_COOKIE, ""))
        data = await form_data(request)
        db = request.app.state.db
        name, password, ip = (
            data.get("name", "").strip(),
            data.get("password", ""),
            client_ip(request),
        )
        locked = await login_throttle.locked_until(db, name, ip)
        if locked is not None:
            return _login_page(
                request,
                error=_t(request)(
                    "Too many failed sign-ins. Try again after {time} UTC.", time=f"{locked:%H:%M}"
                ),
                name=name,
                status=429,
            )
        user = await authenticate_user(db, name, password)
        if user is None:
            await login_throttle.record_failure(db, name, ip)
            async with db.transaction() as session:
                await audit.append(
                    session, actor=f"ip:{ip}", action="login.failed", target=f"user:{name[:100]}"
                )
            return _login_page(
                request, error=_t(request)("Wrong user name or password."), name=name, status=401
            )
        await login_throttle.clear(db, name, ip)
        token = await start_session(
            db, user.id, ip=ip, user_agent=request.headers.get("user-agent")
        )
        async with db.transaction() as session:
            await audit.append(
                session,
                actor=user.actor,
                action="login",
                target=f"user:{user.name}",
                details={"ip": ip},
            )
        return Response(
            b"",
            status_code=303,
            headers={"location": _safe_next(data.get("next", "/admin/"))},
            cookies=[session_cookie(request, token)],
        )

    @post("/logout", guards=[require_user], name="web:logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        info = session_of(request)
        await end_session(request.app.state.db, request.cookies.get(SESSION_COOKIE, ""))
        async with request.app.state.db.transaction() as session:
            await audit.append(
                session, actor=info.actor, action="logout", target=f"user:{info.user}"
            )
        return Response(
            b"",
            status_code=303,
            headers={"location": "/admin/login"},
            cookies=[clear_session_cookie(request)],
        )
