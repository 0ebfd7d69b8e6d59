"""Access tokens shared by a connection's calls: cached, refreshed once, before expiry.

Platforms such as WeChat, WeCom, Feishu, Google and Tencent hand out short-lived
access tokens, rate-limit the calls that issue them, and invalidate the previous token
when a new one is issued. So a connection must hold one token at a time and refresh it
in one place: ``ctx.tokens`` is that place. The hub's implementation keeps tokens sealed
in its database and refreshes each under a lock across every worker process; the
default one (used when a context is built by hand, as tests do) lives in memory.

Usage in a plugin::

    async def fetch() -> AccessToken:
        reply = await client.get("/cgi-bin/token", params=...)
        body = reply.json()
        return AccessToken(value=body["access_token"], expires_in=body["expires_in"])

    token = await ctx.tokens.get("access_token", fetch)
    ...
    if errcode in (40001, 42001):  # the platform says the token is no longer valid
        token = await ctx.tokens.get("access_token", fetch, stale=token)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

import msgspec

__all__ = ["AccessToken", "MemoryTokenStore", "TokenFetch", "TokenStore"]

#: Tokens are refreshed this long before they expire, so a call never carries one that
#: expires in flight.
REFRESH_MARGIN = timedelta(minutes=5)


class AccessToken(msgspec.Struct, frozen=True, kw_only=True):
    """A token as the platform issued it: its value and lifetime in seconds."""

    value: str
    expires_in: float

    def expires_at(self, issued_at: datetime) -> datetime:
        return issued_at + timedelta(seconds=self.expires_in)


TokenFetch = Callable[[], Awaitable[AccessToken]]


@runtime_checkable
class TokenStore(Protocol):
    """A connection's tokens, by key ("access_token", "tenant_access_token"...)."""

    async def get(self, key: str, fetch: TokenFetch, *, stale: str | None = None) -> str:
        """The current token under ``key``, calling ``fetch`` only when there is none.

        A token is fetched when none is stored, when it expires within the refresh
        margin, or when it equals ``stale`` (the caller was told it is invalid). Only
        one caller fetches at a time; the others wait and get its token. A ``stale``
        value that was already replaced returns the replacement without fetching.
        """
        ...


class MemoryTokenStore:
    """Tokens held in this process only: one refresh at a time within the process."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, key: str, fetch: TokenFetch, *, stale: str | None = None) -> str:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            held = self._tokens.get(key)
            now = datetime.now(UTC)
            if held is not None and held[0] != stale and held[1] - REFRESH_MARGIN > now:
                return held[0]
            token = await fetch()
            self._tokens[key] = (token.value, token.expires_at(now))
            return token.value
