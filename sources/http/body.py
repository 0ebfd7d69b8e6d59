"""Reading a tracking request: bounded body, gzip, write key, and refusals.

Every refusal is a :class:`Refusal`, answered with the hub's one JSON error shape::

    {"error": {"status": 400, "code": "invalid_json", "message": "...", "details": [...]}}
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

from litestar import Request, Response

__all__ = [
    "CORS_HEADERS",
    "MAX_BODY_BYTES",
    "MAX_MESSAGE_BYTES",
    "Refusal",
    "basic_username",
    "read_body",
]

#: Segment's limits: 32 KB per message, 500 KB per request (after decompression).
MAX_MESSAGE_BYTES = 32 * 1024
MAX_BODY_BYTES = 500 * 1024

#: Browser SDKs post from any site; the write key, not the origin, is the credential.
CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}

_GZIP = {"gzip", "x-gzip"}
_IDENTITY = {"", "identity"}


class Refusal(Exception):
    """A request the endpoint refuses; nothing of it is stored."""

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
        """The JSON error response for this refusal."""
        body: dict[str, Any] = {"status": self.status, "code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return Response(
            {"error": body},
            status_code=self.status,
            headers={**CORS_HEADERS, **self.headers},
        )


def _too_large(what: str) -> Refusal:
    return Refusal(
        413,
        "body_too_large",
        f"the request body{what} exceeds {MAX_BODY_BYTES // 1024} KB ({MAX_BODY_BYTES} "
        "bytes); send fewer events per batch",
    )


async def read_body(request: Request[Any, Any, Any]) -> bytes:
    """The request body, decompressed, at most :data:`MAX_BODY_BYTES` long.

    Raises:
        Refusal: 413 when the body (before or after decompression) is too large, 415
            for an encoding other than gzip, 400 for a corrupt gzip stream.
    """
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding not in _GZIP | _IDENTITY:
        raise Refusal(
            415, "unsupported_encoding", f"Content-Encoding {encoding!r} is not supported; use gzip"
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large("")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large("")
        chunks.append(chunk)
    body = b"".join(chunks)
    if encoding in _GZIP:
        body = _gunzip(body)
    return body


def _gunzip(data: bytes) -> bytes:
    # Decompress at most one byte past the limit, so a small bomb cannot expand into
    # memory before it is refused.
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(data, MAX_BODY_BYTES + 1)
    except zlib.error as exc:
        raise Refusal(400, "invalid_gzip", f"the body is not valid gzip: {exc}") from None
    if len(body) > MAX_BODY_BYTES:
        raise _too_large(" after decompression")
    if not inflater.eof:
        raise Refusal(400, "invalid_gzip", "the body is not valid gzip: the stream is truncated")
    return body


def basic_username(authorization: str | None) -> str | None:
    """The username of an HTTP Basic ``Authorization`` header, where SDKs put the key.

    Returns:
        None when there is no header.

    Raises:
        Refusal: 401 when the header is not HTTP Basic or cannot be decoded.
    """
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise Refusal(
            401,
            "invalid_write_key",
            "the Authorization header must be HTTP Basic with the write key as username",
            headers={"WWW-Authenticate": 'Basic realm="junction"'},
        )
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Refusal(
            401,
            "invalid_write_key",
            "the Authorization header is not valid HTTP Basic (base64 of `writeKey:`)",
            headers={"WWW-Authenticate": 'Basic realm="junction"'},
        ) from None
    return decoded.partition(":")[0]
