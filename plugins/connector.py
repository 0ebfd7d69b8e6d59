"""The base classes a plugin author subclasses: Source, AudienceDestination, Messenger."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar, Generic

from junction.plugins.context import ConfigT, ConnectorContext
from junction.plugins.records import (
    Audience,
    AudienceRequest,
    Checkpoint,
    Member,
    Message,
    Notification,
    Recipient,
    Record,
    ReplaceSession,
)
from junction.plugins.results import BatchResult, CheckResult, JobStatus, PendingJob, RecordResult
from junction.plugins.spec import ConnectorSpec


class Connector(Generic[ConfigT]):
    """Common ground of every connector: its spec and ``check``.

    Subclasses set ``spec`` and implement the operations their capabilities promise.
    One instance serves many calls; per-call facts come in the context.
    """

    spec: ClassVar[ConnectorSpec]

    async def check(self, ctx: ConnectorContext[ConfigT]) -> CheckResult:
        """Verify the config and credentials against the platform, changing nothing.

        Return ``CheckResult(ok=False, ...)`` or raise :class:`AuthFailed` /
        :class:`ConfigInvalid` with a message an admin can act on.
        """
        raise NotImplementedError


class Source(Connector[ConfigT], Generic[ConfigT]):
    """Brings data into the hub: pulled (``read``) or received (routes via a hook)."""

    def read(self, ctx: ConnectorContext[ConfigT]) -> AsyncIterator[Record | Checkpoint]:
        """Yield records newer than ``ctx.state``, with a Checkpoint after those it covers.

        The engine commits a checkpoint's state only after every record yielded before
        it is committed, so a crash re-reads from the last committed checkpoint: reads
        must be safe to repeat (the hub deduplicates by message id / order id).
        """
        raise NotImplementedError


class AudienceDestination(Connector[ConfigT], Generic[ConfigT]):
    """Keeps an audience on a platform in step with a segment's membership."""

    async def ensure_audience(
        self, ctx: ConnectorContext[ConfigT], request: AudienceRequest
    ) -> Audience:
        """Find the audience (by ``existing_id`` first, then by name) or create it."""
        raise NotImplementedError

    async def add(
        self, ctx: ConnectorContext[ConfigT], audience: Audience, members: Sequence[Member]
    ) -> BatchResult:
        """Add one batch (within ``spec.limits``); one result per member."""
        raise NotImplementedError

    async def remove(
        self, ctx: ConnectorContext[ConfigT], audience: Audience, members: Sequence[Member]
    ) -> BatchResult:
        """Remove one batch; one result per member."""
        raise NotImplementedError

    async def replace(
        self,
        ctx: ConnectorContext[ConfigT],
        audience: Audience,
        members: Sequence[Member],
        session: ReplaceSession,
    ) -> BatchResult:
        """Send one batch of a full replacement (needs ``Capability.AUDIENCE_REPLACE``).

        Members not sent in any batch of the session leave the audience once the
        ``last`` batch is accepted.
        """
        raise NotImplementedError

    async def poll(self, ctx: ConnectorContext[ConfigT], job: PendingJob) -> JobStatus:
        """Report the state of a job returned in ``BatchResult.job``."""
        raise NotImplementedError


class Messenger(Connector[ConfigT], Generic[ConfigT]):
    """Sends messages to people (SMS, email, app messages) and/or notifies operators."""

    async def send(
        self, ctx: ConnectorContext[ConfigT], message: Message, recipients: Sequence[Recipient]
    ) -> BatchResult:
        """Send ``message`` to one batch of recipients; one result per recipient.

        A send is not idempotent: on a timeout after the request went out, return
        ``unknown`` for the affected recipients (or raise OutcomeUnknown), never retry.
        """
        raise NotImplementedError

    async def lookup(
        self, ctx: ConnectorContext[ConfigT], keys: Sequence[str]
    ) -> Sequence[RecordResult]:
        """Resolve ``unknown`` sends by their keys through the platform's status API."""
        raise NotImplementedError

    async def notify(self, ctx: ConnectorContext[ConfigT], notification: Notification) -> None:
        """Post an operator notification (needs ``Capability.NOTIFY``)."""
        raise NotImplementedError


def implemented(connector: type[Connector[Any]], method: str) -> bool:
    """True when ``connector`` overrides ``method`` of its base class."""
    for base in (Source, AudienceDestination, Messenger, Connector):
        if issubclass(connector, base) and hasattr(base, method):
            return getattr(connector, method) is not getattr(base, method)
    return False
