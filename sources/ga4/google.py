"""Calls to Google APIs with the connection's access token, and their errors mapped.

Google APIs answer errors as ``{"error": {"code", "message", "status", "errors":
[{"reason"}]}}``. What the engine should do next depends on the status and reason:

==========================================  ==========================================
401 UNAUTHENTICATED                         refresh the token once, then AuthFailed
403 PERMISSION_DENIED                       AuthFailed: grant the service account access
403 with a quota reason, 429                RateLimited (Retry-After, else a minute)
400 INVALID_ARGUMENT, 404 NOT_FOUND         the caller's ``refused`` decides (ConfigInvalid)
5xx, timeouts, connection errors            Retryable
==========================================  ==========================================
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from junction.plugins import (
    AuthFailed,
    ConnectorContext,
    PermanentFailure,
    PluginError,
    RateLimited,
    Retryable,
)
from junction.plugins.http import retry_after
from junction.sources.ga4.auth import fetch_token
from junction.sources.ga4.key import ServiceAccount

__all__ = ["ApiError", "GoogleApi", "Refusal"]

#: How long to wait after a quota error that says nothing about when to come back.
DEFAULT_QUOTA_WAIT = 60.0
_QUOTA_REASONS = frozenset({"quotaExceeded", "rateLimitExceeded", "userRateLimitExceeded"})


class ApiError(Exception):
    """A refused call, as Google described it: status, reason and message."""

    def __init__(self, http_status: int, status: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.status = status
        self.reason = reason
        self.message = message


#: Turns a 400/404 into the error the caller means (e.g. ConfigInvalid naming a field).
Refusal = Callable[[ApiError], PluginError]


class GoogleApi:
    """One operation's calls to a Google API, authenticated as the service account."""

    def __init__(
        self,
        ctx: ConnectorContext[Any],
        client: httpx.AsyncClient,
        account: ServiceAccount,
        scope: str,
    ) -> None:
        self._ctx = ctx
        self._client = client
        self._account = account
        self._scope = scope
        # One cached token per scope: the two modes ask for different ones.
        self._token_key = f"access_token {scope}"

    async def _token(self, stale: str | None = None) -> str:
        async def fetch() -> Any:
            return await fetch_token(self._client, self._account, self._scope, self._ctx.now())

        return await self._ctx.tokens.get(self._token_key, fetch, stale=stale)

    async def call(
        self,
        method: str,
        url: str,
        *,
        what: str,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        refused: Refusal | None = None,
    ) -> dict[str, Any]:
        """Make one call and return its JSON body.

        ``what`` names the call in messages ("runReport for property 123").

        Raises:
            AuthFailed, RateLimited, Retryable, PermanentFailure: as the module says;
            whatever ``refused`` returns for a 400 or 404.
        """
        token = await self._token()
        reply = await self._send(method, url, token, json, params, what)
        if reply.status_code == 401:
            # The token was revoked or expired early: refresh it once, then give up.
            token = await self._token(stale=token)
            reply = await self._send(method, url, token, json, params, what)
        if reply.status_code == 200:
            body = _body(reply)
            if body is None:
                raise Retryable(f"{what}: Google answered HTTP 200 without a JSON object.")
            return body
        raise self._failure(reply, what, refused)

    async def _send(
        self,
        method: str,
        url: str,
        token: str,
        json: dict[str, Any] | None,
        params: dict[str, str] | None,
        what: str,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            return await self._client.request(
                method, url, json=json, params=params, headers=headers
            )
        except httpx.TimeoutException:
            raise Retryable(f"{what}: Google did not answer in time.") from None
        except httpx.TransportError as exc:
            raise Retryable(f"{what}: Google is unreachable ({type(exc).__name__}).") from None

    def _failure(self, reply: httpx.Response, what: str, refused: Refusal | None) -> PluginError:
        error = _error(reply)
        code = error.status or error.reason or str(error.http_status)
        detail = f"{what}: {error.message or f'HTTP {error.http_status}'}"
        quota = error.status == "RESOURCE_EXHAUSTED" or error.reason in _QUOTA_REASONS
        if reply.status_code == 429 or (reply.status_code == 403 and quota):
            return RateLimited(
                f"{detail} (a Google quota is exhausted; hourly quotas recover within the "
                "hour, daily ones at midnight Pacific time)",
                retry_after=retry_after(reply) or DEFAULT_QUOTA_WAIT,
                code=code,
            )
        if reply.status_code == 401:
            return AuthFailed(
                f"{detail} (Google refused a freshly issued token of service account "
                f"{self._account.client_email})",
                code=code,
            )
        if reply.status_code == 403:
            return AuthFailed(
                f"{detail} (grant service account {self._account.client_email} access: "
                "Viewer on the GA4 property; BigQuery Data Viewer and Job User for the "
                "BigQuery export)",
                code=code,
            )
        if reply.status_code >= 500:
            return Retryable(detail, retry_after=retry_after(reply), code=code)
        if reply.status_code in (400, 404) and refused is not None:
            return refused(error)
        return PermanentFailure(detail, code=code)


def _body(reply: httpx.Response) -> dict[str, Any] | None:
    try:
        body = reply.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _error(reply: httpx.Response) -> ApiError:
    body = _body(reply) or {}
    error = body.get("error")
    if not isinstance(error, dict):
        return ApiError(reply.status_code, "", "", "")
    reasons = error.get("errors")
    reason = ""
    if isinstance(reasons, list) and reasons and isinstance(reasons[0], dict):
        reason = str(reasons[0].get("reason") or "")
    return ApiError(
        reply.status_code,
        str(error.get("status") or ""),
        reason,
        str(error.get("message") or "")[:500],
    )
