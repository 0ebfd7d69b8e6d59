"""What receivers (routes contributed through ``register_routes``) use to take data in.

A receiver authenticates its caller its own way (a write key, a platform signature),
then hands the data to :class:`Ingest`. Litestar injects the hub's implementation into
any route handler that declares a parameter named ``ingest``::

    @post("/hooks/acme/events")
    async def receive(data: bytes, ingest: IngestParam, request: Request) -> dict:
        source = await ingest.authenticate(request.headers["x-acme-key"])
        ...
        result = await ingest.write_events(source, events)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

import msgspec
from litestar.di import NamedDependency

from junction.core.model import Event
from junction.plugins.context import ConnectorContext
from junction.plugins.records import Record


class SourceRef(msgspec.Struct, frozen=True, kw_only=True):
    """The source connection a request was authenticated as."""

    id: int
    name: str
    plugin: str


class IngestResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a write did: every item is either accepted or a duplicate (by its id)."""

    accepted: int
    duplicates: int


@runtime_checkable
class Ingest(Protocol):
    """The hub's durable intake, shared by every receiver."""

    async def authenticate(self, write_key: str) -> SourceRef | None:
        """The enabled source connection owning ``write_key``; None if unknown or revoked."""
        ...

    async def connection(
        self, plugin: str, name: str
    ) -> tuple[SourceRef, ConnectorContext[Any]] | None:
        """The enabled connection ``name`` of ``plugin``, with its context.

        For receivers whose platform signs its calls with a per-connection secret
        (a WeChat callback token) instead of sending a write key: the route names the
        connection (``/hooks/wechat_oa/{name}``), the context holds its decoded config,
        secrets opened, to verify the signature with. Destinations' routes use it too
        (an e-mail connection's signed unsubscribe link): what they record through
        :meth:`write_records` is attributed to that connection. None when there is no
        such enabled connection of that plugin.
        """
        ...

    async def write_events(self, source: SourceRef, events: Sequence[Event]) -> IngestResult:
        """Store ``events`` durably for ``source``; returns only after they are committed.

        Events are deduplicated by ``message_id`` per source (a missing one is assigned)
        and stamped with ``received_at``; ID-mapping runs after the commit.
        """
        ...

    async def write_records(self, source: SourceRef, records: Sequence[Record]) -> IngestResult:
        """Store profile, order, consent and item records (and events) durably for ``source``."""
        ...


#: How a route declares the hub's intake: ``ingest: IngestParam``. Litestar injects the
#: dependency registered under the parameter's name; marking it named (rather than
#: leaving it inferred from a plain ``Ingest``) is what litestar 3 will require.
IngestParam: TypeAlias = NamedDependency[Ingest]
