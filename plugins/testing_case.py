"""What a plugin author hands the conformance kit, and the helpers the checks share.

Part of :mod:`junction.plugins.testing`; import from there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from junction.plugins.connector import Connector
from junction.plugins.context import ConnectorContext
from junction.plugins.records import (
    AudienceRequest,
    Content,
    EventRecord,
    Member,
    Message,
    Notification,
    OrderRecord,
    Recipient,
    Record,
)
from junction.plugins.spec import ConnectorSpec


def default_dedup_key(record: Record) -> Hashable | None:
    """The key the hub deduplicates a record by: an event's message id, an order's id.

    Profile and consent records have none: the hub applies each one it receives, so a
    source must not yield them again once a checkpoint covered them.
    """
    if isinstance(record, EventRecord):
        message_id = getattr(record.event, "message_id", None)
        return ("event", message_id) if message_id else None
    if isinstance(record, OrderRecord):
        order_id = getattr(record.order, "order_id", None)
        return ("order", order_id) if order_id else None
    return None


def _no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(
        f"the conformance kit never reaches the network, but the connector called "
        f"{request.method} {request.url.copy_with(query=None)}; pass transport= or "
        "transport_factory= (a fake of the platform) to ConformanceCase"
    )


@dataclass(frozen=True, kw_only=True)
class ConformanceCase:
    """One connector and the inputs the conformance checks run it with.

    Attributes:
        connector: the connector class under test.
        valid_config: a config (as the admin would store it) that passes ``check``
            against the fake.
        bad_credentials_config: a config with wrong credentials: ``check`` must fail
            cleanly. Use distinctive secret values (8+ characters) so a leak of them
            into messages or logs can be detected. None skips that check.
        transport: the fake platform, shared by every check.
        transport_factory: builds a fresh fake for each check (preferred when the fake
            keeps state); give this or ``transport``, not both.
        sample_members: audience members for ``add`` / ``remove`` / ``replace``,
            prepared as the connector's ``accepts`` rules say. Include one the platform
            rejects to exercise partial failures.
        audience: the audience ``ensure_audience`` is asked for.
        sample_recipients: recipients for ``send``.
        message: the message ``send`` delivers to ``sample_recipients``.
        notification: what ``notify`` posts.
        state: the state a source's first ``read`` starts from.
        dedup_key: the key the hub deduplicates a record by (None: not deduplicated).
        max_items: a read yielding more items than this counts as not terminating.
        timeout: seconds any one operation may take.
    """

    connector: type[Connector[Any]]
    valid_config: Mapping[str, Any]
    bad_credentials_config: Mapping[str, Any] | None = None
    transport: httpx.AsyncBaseTransport | None = None
    transport_factory: Callable[[], httpx.AsyncBaseTransport] | None = None
    sample_members: Sequence[Member] = ()
    audience: AudienceRequest = field(
        default_factory=lambda: AudienceRequest(name="junction-conformance")
    )
    sample_recipients: Sequence[Recipient] = ()
    message: Message = field(
        default_factory=lambda: Message(content=Content(text="Junction conformance check"))
    )
    notification: Notification = field(
        default_factory=lambda: Notification(
            title="Junction conformance check", text="Sent by the plugin conformance kit."
        )
    )
    state: Mapping[str, Any] = field(default_factory=dict)
    dedup_key: Callable[[Record], Hashable | None] = default_dedup_key
    max_items: int = 10_000
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if not (isinstance(self.connector, type) and issubclass(self.connector, Connector)):
            raise TypeError(f"connector must be a Connector subclass, not {self.connector!r}")
        if self.transport is not None and self.transport_factory is not None:
            raise ValueError("give transport or transport_factory, not both")

    @property
    def spec(self) -> ConnectorSpec:
        """The connector's spec."""
        return self.connector.spec

    def make_transport(self) -> httpx.AsyncBaseTransport:
        """The fake to run one check against; one that refuses all requests if none given."""
        if self.transport_factory is not None:
            return self.transport_factory()
        return self.transport or httpx.MockTransport(_no_network)


class CapturedLog(logging.Handler):
    """Keeps every formatted record a connector logs, so checks can search them."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(self.format(record))


def decode_config(case: ConformanceCase, raw: Mapping[str, Any]) -> msgspec.Struct:
    """Decode ``raw`` into the connector's config Struct, as the hub does."""
    return msgspec.convert(dict(raw), type=case.spec.config)


def make_context(
    case: ConformanceCase, config: msgspec.Struct, state: Mapping[str, Any] | None = None
) -> tuple[ConnectorContext[Any], CapturedLog]:
    """A context on the case's fake, with a logger whose output the checks can read."""
    captured = CapturedLog()
    # A logger outside the manager's registry: checks don't leak handlers into each other.
    log = logging.Logger(f"junction.connector.conformance.{case.spec.name}", logging.DEBUG)
    log.addHandler(captured)
    ctx: ConnectorContext[Any] = ConnectorContext(
        connection="conformance",
        config=config,
        state=dict(state or {}),
        transport=case.make_transport(),
        log=log,
    )
    return ctx, captured


def secret_values(case: ConformanceCase, raw: Mapping[str, Any]) -> dict[str, str]:
    """The non-empty string values of the secret fields in ``raw``, by field name."""
    return {
        name: value
        for name in case.spec.secret_fields
        if isinstance(value := raw.get(name), str) and value
    }
