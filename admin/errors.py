"""One JSON error shape for every failure the HTTP API returns.

    {"error": {"status": 404, "code": "not_found", "message": "...", "details": [...]}}

``details`` appears only when there is something precise to add (validation errors).
Unexpected exceptions become a 500 whose message says nothing about internals; the
traceback goes to the log, scrubbed of secrets.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from junction.core.errors import ConfigError, NotFoundError
from junction.core.model import ModelError

log = logging.getLogger("junction.http")


def error_response(
    status: int, message: str, *, code: str | None = None, details: Any = None
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "status": status,
        "code": code or HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_"),
        "message": message,
    }
    if details:
        body["details"] = details
    return Response({"error": body}, status_code=status)


def _http_exception(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    details = exc.extra if isinstance(exc, ValidationException) else None
    return error_response(exc.status_code, exc.detail, details=details)


def _not_found(_: Request[Any, Any, Any], exc: NotFoundError) -> Response[dict[str, Any]]:
    return error_response(404, str(exc))


def _config_error(_: Request[Any, Any, Any], exc: ConfigError) -> Response[dict[str, Any]]:
    return error_response(400, str(exc), code="invalid_config")


def _model_error(_: Request[Any, Any, Any], exc: ModelError) -> Response[dict[str, Any]]:
    return error_response(400, str(exc), code="invalid_input", details=[{"path": exc.path}])


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal error; the server log has the details")


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    HTTPException: _http_exception,
    NotFoundError: _not_found,
    ConfigError: _config_error,
    ModelError: _model_error,
    Exception: _unexpected,
}
