"""Calls to the WeChat API with the connection's shared access token.

One :class:`WechatApi` serves one operation. Every call carries ``access_token`` as
a query parameter; the token comes from ``ctx.tokens`` (one holder per connection,
shared by all workers), fetched from ``cgi-bin/stable_token``: unlike the classic
``cgi-bin/token``, fetching it does not revoke the token other processes hold. When
WeChat answers that the token is invalid or expired (40001, 40014, 42001), the token
is fetched again — with ``force_refresh`` — and the call retried once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import msgspec

from junction.plugins import AccessToken, ConnectorContext, Retryable
from junction.sources.wechat_oa.config import WechatOaConfig
from junction.sources.wechat_oa.errors import TOKEN_CALL, TOKEN_INVALID, error_for

__all__ = ["TOKEN_KEY", "WechatApi"]

#: The key of the access token in ``ctx.tokens``.
TOKEN_KEY = "access_token"

_JSON = {"Content-Type": "application/json; charset=utf-8"}


class _Token(msgspec.Struct):
    access_token: str
    expires_in: float


class WechatApi:
    """The WeChat API as one connection sees it, over one HTTP client."""

    def __init__(self, ctx: ConnectorContext[WechatOaConfig], client: httpx.AsyncClient) -> None:
        self.ctx = ctx
        self.client = client

    @classmethod
    @asynccontextmanager
    async def open(cls, ctx: ConnectorContext[WechatOaConfig]) -> AsyncIterator[WechatApi]:
        """An API for one operation, its HTTP client closed afterwards."""
        async with ctx.http(base_url=ctx.config.api_base_url.rstrip("/")) as client:
            yield cls(ctx, client)

    async def token(self, *, stale: str | None = None) -> str:
        """The connection's access token; a new one when ``stale`` is the one held."""

        async def fetch() -> AccessToken:
            # A plain request returns the token WeChat already issued, until it expires:
            # only a token WeChat called invalid needs force_refresh.
            return await self._fetch_token(force_refresh=stale is not None)

        return await self.ctx.tokens.get(TOKEN_KEY, fetch, stale=stale)

    async def _fetch_token(self, *, force_refresh: bool) -> AccessToken:
        config = self.ctx.config
        body = {
            "grant_type": "client_credential",
            "appid": config.app_id,
            "secret": config.app_secret,
            "force_refresh": force_refresh,
        }
        answer = await self._send("POST", f"/cgi-bin/{TOKEN_CALL}", {}, body, call=TOKEN_CALL)
        errcode = _errcode(answer)
        if errcode:
            errmsg = str(answer.get("errmsg", ""))
            raise error_for(errcode, errmsg, call=TOKEN_CALL, now=self.ctx.now())
        try:
            token = msgspec.convert(answer, _Token)
        except msgspec.ValidationError as exc:
            raise Retryable(
                f"{TOKEN_CALL}: WeChat answered without a usable token ({exc})"
            ) from None
        self.ctx.log.info("issued a WeChat access token valid for %ds", token.expires_in)
        return AccessToken(value=token.access_token, expires_in=token.expires_in)

    async def get(self, path: str, **params: str) -> dict[str, Any]:
        """``GET /cgi-bin/<path>`` with the access token; the JSON answer."""
        return await self.call("GET", path, params=params)

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /cgi-bin/<path>`` with a JSON body and the access token; the JSON answer."""
        return await self.call("POST", path, body=body)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One API call, retried once with a new token if WeChat refuses the token.

        Raises:
            RateLimited: WeChat is busy (-1) or a quota is used up (45009, 45011).
            AuthFailed: the credentials are refused, or a fresh token is refused too.
            Retryable: the API could not be reached or answered with an HTTP error.
            PermanentFailure / ConfigInvalid: any other errcode (see :mod:`.errors`).
        """
        token = await self.token()
        for attempt in (1, 2):
            query = {**(params or {}), "access_token": token}
            answer = await self._send(method, f"/cgi-bin/{path}", query, body, call=path)
            errcode = _errcode(answer)
            if errcode in TOKEN_INVALID and attempt == 1:
                self.ctx.log.info("WeChat refused the access token (%d); refreshing it", errcode)
                token = await self.token(stale=token)
                continue
            if errcode:
                errmsg = str(answer.get("errmsg", ""))
                raise error_for(errcode, errmsg, call=path, now=self.ctx.now())
            return answer
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def _send(
        self,
        method: str,
        url: str,
        params: dict[str, str],
        body: dict[str, Any] | None,
        *,
        call: str,
    ) -> dict[str, Any]:
        # msgspec writes non-ASCII as raw UTF-8: some WeChat APIs refuse \uXXXX (40033).
        content = None if body is None else msgspec.json.encode(body)
        try:
            reply = await self.client.request(
                method, url, params=params, content=content, headers=_JSON if body else None
            )
        except httpx.TimeoutException:
            raise Retryable(f"{call}: WeChat did not answer in time") from None
        except httpx.TransportError as exc:
            raise Retryable(f"{call}: could not reach WeChat ({type(exc).__name__})") from None
        if reply.status_code != 200:
            retry_after = _seconds(reply.headers.get("retry-after"))
            raise Retryable(
                f"{call}: WeChat answered HTTP {reply.status_code}", retry_after=retry_after
            )
        try:
            answer = msgspec.json.decode(reply.content)
        except msgspec.DecodeError:
            raise Retryable(f"{call}: WeChat answered with something other than JSON") from None
        if not isinstance(answer, dict):
            raise Retryable(f"{call}: WeChat answered with JSON that is not an object")
        return answer


def _errcode(answer: dict[str, Any]) -> int:
    # Data endpoints (user/get...) answer without errcode on success.
    code = answer.get("errcode", 0)
    if isinstance(code, str) and code.lstrip("-").isdigit():
        return int(code)
    return code if isinstance(code, int) and not isinstance(code, bool) else 0


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
