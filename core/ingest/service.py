"""`HubIngest`: the hub's implementation of the receivers' :class:`Ingest` protocol."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from junction.core.db import Database
from junction.core.db.types import utcnow
from junction.core.errors import NotFoundError
from junction.core.ingest.records import check_order_storable, consent_row, profile_row
from junction.core.ingest.rows import check_no_nul, check_storable, event_row
from junction.core.ingest.write_keys import WriteKeyAuthenticator
from junction.core.ingest.writer import GroupCommitWriter
from junction.core.model import Event, ModelError, Order
from junction.plugins.context import ConnectorContext
from junction.plugins.receiver import IngestResult, SourceRef
from junction.plugins.records import (
    ConsentRecord,
    EventRecord,
    ItemRecord,
    OrderRecord,
    ProfileRecord,
    Record,
)

if TYPE_CHECKING:
    from junction.core.connections import Connections

__all__ = ["HubIngest"]


class HubIngest:
    """Authenticates write keys and stores what receivers and sources take in.

    Everything is written through one :class:`GroupCommitWriter`, so concurrent calls
    share commits; each call returns only after the commit holding its data. Call
    :meth:`start` before the first write and :meth:`stop` at shutdown (the app's
    lifespan does both); :meth:`stop` writes what is still pending.

    Every call is all or nothing: a call is validated whole before anything is
    submitted, and written within a single transaction.
    """

    def __init__(
        self,
        db: Database,
        *,
        writer: GroupCommitWriter | None = None,
        authenticator: WriteKeyAuthenticator | None = None,
        on_commit: Callable[[], None] | None = None,
        connections: Connections | None = None,
    ) -> None:
        self.db = db
        #: Where :meth:`connection` finds receivers' connections; None serves none.
        self.connections = connections
        self.writer = writer or GroupCommitWriter(db)
        self.authenticator = authenticator or WriteKeyAuthenticator(db)
        #: Called after each commit, e.g. to wake ID-mapping without polling.
        self.on_commit = on_commit

    async def start(self) -> None:
        """Start the background writer."""
        await self.writer.start()

    async def stop(self) -> None:
        """Write what is pending, then stop the background writer."""
        await self.writer.stop()

    async def authenticate(self, write_key: str) -> SourceRef | None:
        """The enabled source connection owning ``write_key``; None if unknown or revoked."""
        return await self.authenticator.authenticate(write_key)

    async def connection(
        self, plugin: str, name: str
    ) -> tuple[SourceRef, ConnectorContext[Any]] | None:
        """The enabled connection ``name`` of ``plugin`` (source or destination), with its
        context."""
        if self.connections is None:
            return None
        try:
            view = await self.connections.get(name)
        except NotFoundError:
            return None
        if view.plugin != plugin or not view.enabled:
            return None
        ctx = await self.connections.context(name)
        return SourceRef(id=view.id, name=view.name, plugin=view.plugin), ctx

    async def write_events(self, source: SourceRef, events: Sequence[Event]) -> IngestResult:
        """Store ``events`` for ``source``; returns after the commit that holds them.

        Events without a ``message_id`` get one; every event is stamped with the time
        of receipt and its timestamp corrected for the sender's clock skew.

        Raises:
            ModelError: An event the database cannot hold (a user id over 255
                characters, a NUL character), located at ``$[i]`` for the i-th event,
                e.g. ``$[3].userId``. Nothing is stored then.
            WriterStopped: The hub is shutting down; nothing is stored.
            Exception: The transaction failed (database unreachable...); nothing is
                stored, and the caller may retry the whole call.
        """
        received_at = utcnow()
        rows = [
            _event_row(source.id, event, received_at, f"$[{index}]")
            for index, event in enumerate(events)
        ]
        result = await self.writer.write(source.id, _day(received_at), rows)
        self._committed()
        return result

    async def write_records(self, source: SourceRef, records: Sequence[Record]) -> IngestResult:
        """Store events, profiles, consents and orders for ``source`` in one commit.

        Events are stored as by :meth:`write_events`. A profile or a consent becomes a
        synthetic ``identify`` event (see :func:`~junction.core.ingest.records.profile_row`
        and :func:`~junction.core.ingest.records.consent_row`) whose message id hashes
        the record, so reading it again is a duplicate. An order is upserted by
        (source, order id), its buyer left for ID-mapping to resolve; an older state
        than the one stored counts as a duplicate.

        Raises:
            ModelError: A record the database cannot hold, located at ``$[i]``.
            TypeError: An item is not a record.
            Exception: The transaction failed; nothing is stored.
        """
        received_at = utcnow()
        rows: list[dict[str, Any]] = []
        orders: list[Order] = []
        items: list[ItemRecord] = []
        for index, record in enumerate(records):
            path = f"$[{index}]"
            if isinstance(record, EventRecord):
                rows.append(_event_row(source.id, record.event, received_at, f"{path}.event"))
            elif isinstance(record, ProfileRecord | ConsentRecord):
                _check(check_no_nul, record, path)
                build = profile_row if isinstance(record, ProfileRecord) else consent_row
                rows.append(build(source.id, record, received_at))  # type: ignore[arg-type]
            elif isinstance(record, OrderRecord):
                _check(check_no_nul, record.order, f"{path}.order")
                _check(check_order_storable, record.order, f"{path}.order")
                orders.append(record.order)
            elif isinstance(record, ItemRecord):
                _check_item(record, path)
                items.append(record)
            else:
                raise TypeError(f"records[{index}] is a {type(record).__name__}, not a Record")
        result = await self.writer.write(source.id, _day(received_at), rows, orders, items)
        self._committed()
        return result

    def _committed(self) -> None:
        if self.on_commit is not None:
            self.on_commit()


def _event_row(source_id: int, event: Event, received_at: datetime, path: str) -> dict[str, Any]:
    _check(check_storable, event, path)
    return event_row(source_id, event.ensure_message_id(), received_at)


def _check(check: Any, value: Any, path: str) -> None:
    try:
        check(value)
    except ModelError as exc:
        raise exc.under(path) from None


def _day(at: datetime) -> str:
    return at.date().isoformat()


def _check_item(item: ItemRecord, path: str) -> None:
    for field, value, limit in (
        ("item_type", item.item_type, 100),
        ("item_id", item.item_id, 255),
    ):
        if not value or len(value) > limit:
            raise ModelError(f"must be 1 to {limit} characters", f"{path}.{field}")
        if "\x00" in value:
            raise ModelError("contains a NUL character", f"{path}.{field}")
    if item.observed_at.tzinfo is None:
        raise ModelError("must be timezone-aware", f"{path}.observed_at")
    _check(check_no_nul, item.properties, f"{path}.properties")
