"""One Marketing API call: common parameters, the access token, the envelope, errors.

Every request carries ``access_token``, ``timestamp`` (Unix seconds) and a fresh
``nonce`` as query parameters, POSTs included (tencent-ads.md §2). Access tokens come
from ``ctx.tokens`` (one refresh at a time for the whole connection); when Tencent says
the token expired or is invalid, it is refreshed once with ``stale=`` and the call is
sent again. Tokens live only in query strings, which never appear in errors or logs.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import httpx

from junction.destinations.tencent_ads.codes import REFRESHABLE, error_for
from junction.destinations.tencent_ads.config import TencentAdsConfig
from junction.plugins import (
    AccessToken,
    AuthFailed,
    ConnectorContext,
    RateLimited,
    Retryable,
)
from junction.plugins.http import retry_after

__all__ = ["Api", "open_api"]

Ctx: TypeAlias = ConnectorContext[TencentAdsConfig]

#: Uploads carry files of up to a few MB: allow them longer than the default 30 s.
TIMEOUT = httpx.Timeout(120.0, connect=10.0)
TOKEN_KEY = "access_token"


@asynccontextmanager
async def open_api(ctx: Ctx) -> AsyncIterator[Api]:
    """An :class:`Api` on one HTTP client, closed afterwards."""
    async with ctx.http(base_url=ctx.config.api_base.rstrip("/") + "/", timeout=TIMEOUT) as http:
        yield Api(ctx, http)


class Api:
    """Calls of one operation, sharing an HTTP client and the connection's token."""

    def __init__(self, ctx: Ctx, http: httpx.AsyncClient) -> None:
        self.ctx = ctx
        self.http = http

    async def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET ``path`` with ``params``; the envelope's ``data``."""
        return await self._call("GET", path, params=params)

    async def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` as JSON to ``path``; the envelope's ``data``."""
        return await self._call("POST", path, json=body)

    async def post_multipart(
        self, path: str, fields: dict[str, str], file: tuple[str, bytes, str]
    ) -> dict[str, Any]:
        """POST form ``fields`` and one ``file`` part as multipart/form-data."""
        return await self._call("POST", path, data=fields, files={"file": file})

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        token = await self.ctx.tokens.get(TOKEN_KEY, self._fetch_token)
        code, message, data = await self._send(method, path, token, **kwargs)
        if code in REFRESHABLE:
            self.ctx.log.info("Tencent Ads refused the access token (code %s); refreshing", code)
            token = await self.ctx.tokens.get(TOKEN_KEY, self._fetch_token, stale=token)
            code, message, data = await self._send(method, path, token, **kwargs)
        if code != 0:
            raise error_for(code, message, what=path)
        return data

    async def _send(
        self, method: str, path: str, token: str, **kwargs: Any
    ) -> tuple[int, str, dict[str, Any]]:
        params = {**kwargs.pop("params", {}), **self._common(token)}
        try:
            response = await self.http.request(method, path, params=params, **kwargs)
        except httpx.TimeoutException:
            # Audience calls are idempotent (files are sets of ids): safe to resend.
            raise Retryable(f"Tencent Ads did not answer {path} in time") from None
        except httpx.TransportError as exc:
            reason = type(exc).__name__
            raise Retryable(f"could not reach Tencent Ads for {path} ({reason})") from None
        return _envelope(response, path)

    def _common(self, token: str) -> dict[str, str]:
        return {
            "access_token": token,
            "timestamp": str(int(self.ctx.now().timestamp())),
            # Unique per request, at most 32 characters.
            "nonce": uuid.uuid4().hex,
        }

    async def _fetch_token(self) -> AccessToken:
        """Exchange the refresh token for a new access token (refresh_token grant)."""
        config = self.ctx.config
        params = {
            "client_id": str(config.client_id),
            "client_secret": config.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": config.refresh_token,
        }
        try:
            response = await self.http.get(config.oauth_url, params=params)
        except httpx.TimeoutException:
            raise Retryable("the Tencent Ads OAuth endpoint did not answer in time") from None
        except httpx.TransportError as exc:
            raise Retryable(
                f"could not reach the Tencent Ads OAuth endpoint ({type(exc).__name__})"
            ) from None
        code, message, data = _envelope(response, "oauth/token")
        if code != 0:
            raise error_for(code, message, what="the access token refresh")
        value, expires_in = data.get("access_token"), data.get("access_token_expires_in")
        if not isinstance(value, str) or not value or not isinstance(expires_in, int):
            raise Retryable("Tencent Ads issued no access token (malformed OAuth answer)")
        self.ctx.log.info("Tencent Ads issued an access token for %s s", expires_in)
        return AccessToken(value=value, expires_in=float(expires_in))


def _envelope(response: httpx.Response, what: str) -> tuple[int, str, dict[str, Any]]:
    """``(code, message, data)`` of Tencent's answer; transport-level failures raised."""
    status = response.status_code
    trace = response.headers.get("X-TSA-Trace-Id", "")
    where = f"Tencent Ads answered {what} with HTTP {status}"
    if trace:
        where += f" (trace {trace})"
    if status == 429:
        raise RateLimited(where, retry_after=retry_after(response))
    if status >= 500:
        raise Retryable(where, retry_after=retry_after(response))
    if status in (401, 403):
        raise AuthFailed(f"{where}: check the app credentials")
    try:
        body = response.json()
    except ValueError:
        raise Retryable(f"{where} and a body that is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("code"), int):
        raise Retryable(f"{where} and no return code")
    if status >= 400 and body["code"] == 0:
        raise Retryable(where)
    data = body.get("data")
    message = str(body.get("message") or body.get("message_cn") or "")
    if trace and trace not in message:
        message = f"{message} (trace {trace})".strip()
    return body["code"], message, data if isinstance(data, dict) else {}
