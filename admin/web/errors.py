"""How admin pages fail: HTML error pages, and a login redirect instead of a bare 401."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException

from junction.admin.web.auth import LoginRequired, redirect_to_login
from junction.admin.web.render import render
from junction.core.errors import ConfigError, NotFoundError
from junction.core.model import ModelError

log = logging.getLogger("junction.admin")
Req = Request[Any, Any, Any]


def _page(request: Req, status: int, title: str, message: str) -> Response[Any]:
    return render(
        request, "error.html", status_code=status, status=status, title=title, message=message
    )


def _login_required(request: Req, exc: LoginRequired) -> Response[Any]:
    if request.method == "GET":
        return redirect_to_login(request)
    return _page(request, 401, "Sign in", str(exc.detail))


def _forbidden(request: Req, exc: PermissionDeniedException) -> Response[Any]:
    return _page(request, 403, "Forbidden", str(exc.detail))


def _not_found(request: Req, exc: Exception) -> Response[Any]:
    message = exc.detail if isinstance(exc, HTTPException) else str(exc)
    return _page(request, 404, "Not found", str(message))


def _bad_request(request: Req, exc: Exception) -> Response[Any]:
    message = exc.detail if isinstance(exc, HTTPException) else str(exc)
    return _page(request, 400, "Bad request", str(message))


def _http(request: Req, exc: HTTPException) -> Response[Any]:
    return _page(request, exc.status_code, "Error", str(exc.detail))


WEB_EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    LoginRequired: _login_required,
    PermissionDeniedException: _forbidden,
    NotFoundError: _not_found,
    NotFoundException: _not_found,
    ConfigError: _bad_request,
    ModelError: _bad_request,
    HTTPException: _http,
}
