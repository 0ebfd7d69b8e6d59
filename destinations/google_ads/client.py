"""One HTTP client for Google's APIs: bearer token, headers, errors, one refresh on 401."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import httpx

from junction.destinations.google_ads.config import GoogleAdsConfig
from junction.destinations.google_ads.errors import parse, plugin_error
from junction.destinations.google_ads.oauth import fetch_token
from junction.plugins import AccessToken, ConnectorContext, Retryable

__all__ = ["ADS_HOST", "DATA_MANAGER_HOST", "GoogleClient", "connect"]

DATA_MANAGER_HOST = "https://datamanager.googleapis.com"
ADS_HOST = "https://googleads.googleapis.com"

Ctx: TypeAlias = ConnectorContext[GoogleAdsConfig]

_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_USER_AGENT = "junction-google-ads/1"


class GoogleClient:
    """Calls one Google API for one operation of one connection.

    Every call carries the connection's cached access token; when Google answers 401
    (the token expired or was revoked early) the token is refreshed once, as stale,
    and the call repeated. A second 401 is :class:`AuthFailed`.
    """

    def __init__(self, ctx: Ctx, http: httpx.AsyncClient) -> None:
        self.ctx = ctx
        self.http = http
        self.config = ctx.config

    async def token(self, *, stale: str | None = None) -> str:
        async def fetch() -> AccessToken:
            return await fetch_token(self.http, self.config)

        # One token per API: each is issued for its own scope.
        key = f"access_token:{self.config.api}"
        return await self.ctx.tokens.get(key, fetch, stale=stale)

    async def call(
        self,
        method: str,
        url: str,
        what: str,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The decoded JSON answer of a successful call.

        Raises:
            AuthFailed, ConfigInvalid, RateLimited, Retryable, PermanentFailure: As
                :func:`~junction.destinations.google_ads.errors.plugin_error` maps
                Google's answer; :class:`InvalidArgument` for a located 400.
        """
        token = await self.token()
        response = await self._send(method, url, what, token, json, params, headers)
        if response.status_code == 401 and not _developer_token_refused(response):
            # The access token expired or was revoked early: refresh it once, as stale.
            token = await self.token(stale=token)
            response = await self._send(method, url, what, token, json, params, headers)
        if response.status_code >= 400:
            raise plugin_error(parse(response), what)
        try:
            body = response.json() if response.content.strip() else {}
        except ValueError as exc:
            raise Retryable(f"Google answered {what} with a body that is not JSON") from exc
        if not isinstance(body, dict):
            raise Retryable(f"Google answered {what} with an unexpected body")
        return body

    async def _send(
        self,
        method: str,
        url: str,
        what: str,
        token: str,
        json: Any,
        params: dict[str, str] | None,
        headers: dict[str, str] | None,
    ) -> httpx.Response:
        merged = {"Authorization": f"Bearer {token}", "User-Agent": _USER_AGENT}
        if self.config.quota_project:
            merged["x-goog-user-project"] = self.config.quota_project
        merged.update(headers or {})
        try:
            return await self.http.request(method, url, json=json, params=params, headers=merged)
        except httpx.TimeoutException as exc:
            # Audience adds and removes are idempotent: a timed-out call is safe to resend.
            raise Retryable(f"Google did not answer {what} in time") from exc
        except httpx.TransportError as exc:
            raise Retryable(f"could not reach Google for {what} ({type(exc).__name__})") from exc


def _developer_token_refused(response: httpx.Response) -> bool:
    """A 401 about the developer token (Google Ads API): a new access token won't help."""
    return any(reason.startswith("DEVELOPER_TOKEN") for reason in parse(response).reasons)


@asynccontextmanager
async def connect(ctx: Ctx) -> AsyncIterator[GoogleClient]:
    """A client for one operation, its HTTP connections closed afterwards."""
    ctx.config.validate()
    async with ctx.http(timeout=_TIMEOUT) as http:
        yield GoogleClient(ctx, http)
