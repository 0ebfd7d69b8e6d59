"""Calls to the Graph API the way the official SDK makes them (meta.md §2).

Parameters travel form-encoded in the body of POST and DELETE, or in the query string
of GET; nested values (payload, session) are JSON strings. The token goes as the
``access_token`` parameter, with ``appsecret_proof`` when an app secret is configured.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Literal

import httpx

from junction.destinations.meta.config import MetaConfig
from junction.destinations.meta.errors import GraphError, error_for
from junction.plugins import ConnectorContext, Retryable

__all__ = ["Graph", "appsecret_proof", "encode_params"]

Method = Literal["GET", "POST", "DELETE"]


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """Hex HMAC-SHA256 of the token keyed with the app secret (Graph API's proof)."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def encode_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Graph API parameters as strings: nested values as compact, key-sorted JSON."""
    encoded: dict[str, str] = {}
    for name, value in params.items():
        if isinstance(value, dict | list | tuple):
            encoded[name] = json.dumps(value, sort_keys=True, separators=(",", ":"))
        elif isinstance(value, bool):
            encoded[name] = "true" if value else "false"
        else:
            encoded[name] = str(value)
    return encoded


class Graph:
    """One operation's HTTP client on the configured Graph API version."""

    def __init__(self, client: httpx.AsyncClient, config: MetaConfig) -> None:
        self._client = client
        self._auth = {"access_token": config.access_token}
        if config.app_secret:
            self._auth["appsecret_proof"] = appsecret_proof(config.access_token, config.app_secret)

    @classmethod
    @asynccontextmanager
    async def open(cls, ctx: ConnectorContext[MetaConfig]) -> AsyncIterator[Graph]:
        config = ctx.config
        base = f"{config.base_url}/{config.api_version}"
        timeout = httpx.Timeout(config.timeout_seconds, connect=min(10.0, config.timeout_seconds))
        headers = {"User-Agent": "junction-meta/1"}
        async with ctx.http(base_url=base, timeout=timeout, headers=headers) as client:
            yield cls(client, config)

    async def call(
        self, method: Method, path: str, what: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Make one call and return its decoded JSON object.

        ``what`` names the call in error messages ("adding 5,000 rows"). Every call the
        connector makes is safe to repeat (reads, idempotent membership changes), so a
        timeout or a dropped connection is :class:`Retryable`.

        Raises:
            AuthFailed, ConfigInvalid, RateLimited, Retryable, PermanentFailure: as
                :func:`~junction.destinations.meta.errors.error_for` maps Meta's answer.
        """
        fields = {**encode_params(params or {}), **self._auth}
        try:
            if method == "GET":
                response = await self._client.get(path, params=fields)
            else:
                # DELETE carries its parameters in a form body too: 10,000 digests
                # don't fit in a URL (the SDK's query string breaks past a few thousand).
                response = await self._client.request(method, path, data=fields)
        # ``from None``: httpx errors carry the request, whose URL holds the token.
        except httpx.TimeoutException:
            raise Retryable(f"{what}: Meta did not answer in time") from None
        except httpx.TransportError as exc:
            raise Retryable(f"{what}: could not reach Meta ({type(exc).__name__})") from None
        body = _json(response)
        error = GraphError.parse(body)
        if response.is_success and error is None:
            if not isinstance(body, dict):
                raise Retryable(f"{what}: Meta answered HTTP {response.status_code} without JSON")
            return body
        raise error_for(response, what, error)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
