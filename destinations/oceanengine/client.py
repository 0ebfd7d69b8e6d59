"""Calls to the Marketing API: the ``Access-Token`` header, the envelope, the errors.

Every answer is ``{"code": 0, "message": "OK", "request_id": …, "data": {…}}`` with
HTTP 200; ``code != 0`` is the error. Codes (shared/platforms/oceanengine.md §6, not
confirmed by an official table) map onto the plugin error hierarchy:

=====================  ===========================================================
40100                  :class:`RateLimited` (QPS limit)
40102 / 40104 / 40105  access token expired / empty / invalid: refreshed once
                       (``ctx.tokens`` with ``stale=``) and the call is repeated
other 401xx            :class:`AuthFailed` (refresh token expired or revoked...)
40002                  :class:`ConfigInvalid` (no permission for the advertiser)
>= 50000               :class:`Retryable` (system error or busy)
anything else          :class:`PermanentFailure` (parameter errors)
=====================  ===========================================================
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

import httpx

from junction.destinations.oceanengine.config import OceanEngineConfig
from junction.destinations.oceanengine.upload import UploadFile
from junction.plugins import (
    AccessToken,
    AuthFailed,
    ConfigInvalid,
    ConnectorContext,
    PermanentFailure,
    RateLimited,
    Retryable,
)
from junction.plugins.http import retry_after

__all__ = ["ACCESS_TOKEN", "REFRESH_TOKEN", "OceanClient", "raise_for_code"]

#: Keys of the connection's tokens in ``ctx.tokens``.
ACCESS_TOKEN = "access_token"
REFRESH_TOKEN = "refresh_token"

RATE_LIMITED = 40100
#: The access token is expired, missing or invalid: a fresh one may fix it.
REFRESHABLE = frozenset({40102, 40104, 40105})
NO_PERMISSION = 40002
#: Refresh tokens live about 30 days; how long a configured one has left is unknown,
#: so it is held that long and replaced by each rotation the platform answers with.
REFRESH_TOKEN_LIFETIME = 30 * 24 * 3600.0


class _TokenRefused(Exception):
    """The platform refused the access token with a code a refresh may fix."""

    def __init__(self, error: AuthFailed) -> None:
        super().__init__(error.message)
        self.error = error


class OceanClient:
    """One operation's calls, over ``http`` (from ``ctx.http``), authenticated."""

    def __init__(self, ctx: ConnectorContext[OceanEngineConfig], http: httpx.AsyncClient) -> None:
        self.ctx = ctx
        self.http = http
        self.advertiser_id = int(ctx.config.advertiser_id)

    async def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET ``path`` with ``params`` (lists and dicts JSON-encoded); the ``data``."""
        query = {"advertiser_id": str(self.advertiser_id)}
        for name, value in params.items():
            query[name] = json.dumps(value) if isinstance(value, list | dict) else str(value)
        return await self._authorized(path, lambda h: self.http.get(path, params=query, headers=h))

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` (plus the advertiser id) as JSON to ``path``; the ``data``."""
        payload = {"advertiser_id": self.advertiser_id, **body}
        return await self._authorized(path, lambda h: self.http.post(path, json=payload, headers=h))

    async def upload(self, file: UploadFile) -> str:
        """Upload one zip; the ``file_path`` to name in a data source create/update."""
        path = "2/dmp/data_source/file/upload/"
        fields = {"advertiser_id": str(self.advertiser_id), "file_signature": file.signature}

        def send(headers: dict[str, str]) -> Awaitable[httpx.Response]:
            files = {"file": (file.name, file.data, "application/zip")}
            return self.http.post(path, data=fields, files=files, headers=headers)

        data = await self._authorized(path, send)
        file_path = data.get("file_path")
        if not isinstance(file_path, str) or not file_path:
            raise Retryable(f"Ocean Engine answered {path} without a file_path")
        return file_path

    async def _authorized(
        self, path: str, send: Callable[[dict[str, str]], Awaitable[httpx.Response]]
    ) -> dict[str, Any]:
        token = await self.ctx.tokens.get(ACCESS_TOKEN, self._refresh)
        try:
            return await self._call(path, send, token)
        except _TokenRefused:
            pass
        # Another worker may have refreshed already; ``stale`` makes the store fetch
        # only if the token it holds is still the one just refused.
        token = await self.ctx.tokens.get(ACCESS_TOKEN, self._refresh, stale=token)
        try:
            return await self._call(path, send, token)
        except _TokenRefused as refused:
            raise refused.error from None

    async def _call(
        self, path: str, send: Callable[[dict[str, str]], Awaitable[httpx.Response]], token: str
    ) -> dict[str, Any]:
        try:
            response = await send({"Access-Token": token})
        except httpx.TimeoutException as exc:
            raise Retryable(f"Ocean Engine did not answer {path} in time") from exc
        except httpx.TransportError as exc:
            raise Retryable(f"could not reach Ocean Engine ({type(exc).__name__})") from exc
        try:
            return _data(path, response)
        except AuthFailed as exc:
            if exc.code is not None and int(exc.code) in REFRESHABLE:
                raise _TokenRefused(exc) from None
            raise

    async def _refresh(self) -> AccessToken:
        """A new access token from the refresh token (which the platform rotates)."""
        config = self.ctx.config

        async def configured() -> AccessToken:
            return AccessToken(value=config.refresh_token, expires_in=REFRESH_TOKEN_LIFETIME)

        refresh_token = await self.ctx.tokens.get(REFRESH_TOKEN, configured)
        path = "oauth2/refresh_token/"
        body = {
            "app_id": int(config.app_id),
            "secret": config.app_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        try:
            response = await self.http.post(path, json=body)
        except httpx.TimeoutException as exc:
            raise Retryable("Ocean Engine did not answer the token refresh in time") from exc
        except httpx.TransportError as exc:
            raise Retryable(f"could not reach Ocean Engine ({type(exc).__name__})") from exc
        try:
            data = _data(path, response)
        except (AuthFailed, ConfigInvalid, PermanentFailure) as exc:
            # Whatever the code, a refresh refused for good means the app id, secret or
            # refresh token is wrong: the run must stop, not dead-letter its records.
            raise AuthFailed(
                f"{exc.message}; check the app id and secret, or authorize the app for "
                f"advertiser {config.advertiser_id} again and save the new refresh token",
                code=exc.code,
            ) from None
        access, rotated = data.get("access_token"), data.get("refresh_token")
        if not isinstance(access, str) or not isinstance(rotated, str) or not access:
            raise Retryable("Ocean Engine answered the token refresh without tokens")
        lifetime = float(data.get("refresh_token_expires_in") or REFRESH_TOKEN_LIFETIME)

        async def issued() -> AccessToken:
            return AccessToken(value=rotated, expires_in=lifetime)

        # The old refresh token stops working now: keep the new one before anything else.
        await self.ctx.tokens.get(REFRESH_TOKEN, issued, stale=refresh_token)
        return AccessToken(value=access, expires_in=float(data.get("expires_in") or 3600))


def _data(path: str, response: httpx.Response) -> dict[str, Any]:
    """The ``data`` of a successful answer; raises the mapped error otherwise."""
    status = response.status_code
    where = f"Ocean Engine answered {path} with HTTP {status}"
    if status == 429:
        raise RateLimited(f"{where} (throttled)", retry_after=retry_after(response))
    if status >= 500 or status == 408:
        raise Retryable(where, retry_after=retry_after(response))
    if status in (401, 403):
        raise AuthFailed(f"{where}: the access token was refused")
    if status >= 400:
        raise PermanentFailure(f"{where}: {response.text[:200]}")
    try:
        envelope = response.json()
    except ValueError:
        raise Retryable(f"Ocean Engine answered {path} with a body that is not JSON") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("code"), int):
        raise Retryable(f"Ocean Engine answered {path} without an envelope code")
    code = envelope["code"]
    if code == 0:
        data = envelope.get("data")
        return data if isinstance(data, dict) else {}
    raise_for_code(path, code, str(envelope.get("message") or ""), envelope.get("request_id"))


def raise_for_code(path: str, code: int, message: str, request_id: object = None) -> NoReturn:
    """Raise the plugin error for a non-zero envelope ``code``."""
    support = f"; request_id {request_id}" if request_id else ""
    text = f"Ocean Engine refused {path}: {message or 'no message'} (code {code}{support})"
    if code == RATE_LIMITED:
        raise RateLimited(text, code=str(code))
    if 40100 <= code < 40200:
        raise AuthFailed(text, code=str(code))
    if code == NO_PERMISSION:
        raise ConfigInvalid(text, field="advertiser_id", code=str(code))
    if code >= 50000:
        raise Retryable(text, code=str(code))
    raise PermanentFailure(text, code=str(code))
