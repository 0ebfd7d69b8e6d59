"""The context a connector's operations run in: its config, HTTP client and logger."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import httpx
import msgspec

from junction.plugins.tokens import MemoryTokenStore, TokenStore

ConfigT = TypeVar("ConfigT", bound=msgspec.Struct)

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class ConnectorContext(Generic[ConfigT]):
    """Given to every connector operation.

    Attributes:
        connection: the connection's name (for messages and logs).
        config: the decoded config Struct, secrets included; never log it whole.
        state: for sources, the checkpointed state of the last committed read.
        log: a logger named after the plugin and connection.
        tokens: the connection's access tokens (see :mod:`junction.plugins.tokens`).
    """

    def __init__(
        self,
        *,
        connection: str,
        config: ConfigT,
        state: dict[str, Any] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        log: logging.Logger | None = None,
        tokens: TokenStore | None = None,
    ) -> None:
        self.connection = connection
        self.config = config
        self.state: dict[str, Any] = dict(state or {})
        self._transport = transport
        self.log = log or logging.getLogger(f"junction.connector.{connection}")
        self.tokens: TokenStore = tokens if tokens is not None else MemoryTokenStore()

    @asynccontextmanager
    async def http(self, *, base_url: str = "", **kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client for one operation, closed afterwards.

        Timeouts default to 30 s (10 s to connect); pass ``timeout=`` to change them.

        Tests inject a transport (``httpx.MockTransport`` or an ASGI fake) through the
        context, so plugins never need monkeypatching.
        """
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        async with httpx.AsyncClient(
            base_url=base_url, transport=self._transport, **kwargs
        ) as client:
            yield client

    def now(self) -> datetime:
        """The current time (aware, UTC); one place to freeze time in tests."""
        return datetime.now(UTC)
