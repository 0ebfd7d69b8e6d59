"""A refused request, answered with the hub's one JSON error shape::

{"error": {"status": 400, "code": "invalid_record", "message": "...", "details": [...]}}
"""

from __future__ import annotations

from typing import Any

from litestar import Response

__all__ = ["CORS_HEADERS", "Refusal"]

#: Browser SDKs post from any site; the write key, not the origin, is the credential.
CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}


class Refusal(Exception):
    """A request refused whole; answered with the hub's JSON error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def response(self) -> Response[dict[str, Any]]:
        body: dict[str, Any] = {"status": self.status, "code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return Response(
            {"error": body}, status_code=self.status, headers={**CORS_HEADERS, **self.headers}
        )
