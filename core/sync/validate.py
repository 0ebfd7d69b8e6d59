"""Checking a sync definition against the connections, segments and plugins it names.

Every refusal says what is wrong and where (``$.identifiers[1]``), so the admin form and
the CLI can point at the field. Nothing is stored when a check fails.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db.tables import Connection, Segment
from junction.core.errors import NotFoundError
from junction.core.messaging.settings import SettingsError
from junction.core.sync.cron import check_cron
from junction.core.sync.definitions import SyncCreate, SyncKind, SyncMode
from junction.core.sync.errors import SyncDefinitionError
from junction.plugins import Capability, ConnectorSpec, Kind
from junction.plugins.manager import Plugins

__all__ = [
    "Resolved",
    "check_identifiers",
    "check_schedule",
    "resolve_definition",
    "resolve_notify",
]


class Resolved:
    """The rows and spec a valid definition refers to."""

    def __init__(
        self, connection: Connection, spec: ConnectorSpec, segment: Segment | None, mode: SyncMode
    ) -> None:
        self.connection = connection
        self.spec = spec
        self.segment = segment
        self.mode = mode


def check_schedule(schedule: str | None) -> str | None:
    """The normalized cron expression, or None for manual syncs.

    Raises:
        SyncDefinitionError: the expression is not a valid five-field cron.
    """
    if schedule is None or not schedule.strip() or schedule.strip() == "manual":
        return None
    try:
        return check_cron(schedule)
    except ValueError as exc:
        raise SyncDefinitionError(str(exc), "$.schedule") from None


def check_identifiers(identifiers: list[str], spec: ConnectorSpec, connection: str) -> None:
    """Each identifier type must be one the destination declares in ``accepts``.

    Raises:
        SyncDefinitionError: none given, one repeated, or one the destination can't take.
    """
    accepted = [rule.type for rule in spec.accepts]
    if not identifiers:
        raise SyncDefinitionError(
            f"choose the identifiers to send; {connection!r} ({spec.name}) accepts "
            f"{', '.join(accepted)}",
            "$.identifiers",
        )
    for index, kind in enumerate(identifiers):
        if identifiers.index(kind) != index:
            raise SyncDefinitionError(
                f"identifier {kind!r} is listed twice", f"$.identifiers[{index}]"
            )
        if kind not in accepted:
            raise SyncDefinitionError(
                f"destination {connection!r} ({spec.name}) can't take identifier {kind!r}; "
                f"it accepts {', '.join(accepted) or 'none'}",
                f"$.identifiers[{index}]",
            )


async def resolve_notify(
    session: AsyncSession, plugins: Plugins, name: str | None
) -> Connection | None:
    """The connection operators are notified through, or None.

    Raises:
        SyncDefinitionError: no such connection, or it can't notify.
    """
    if not name:
        return None
    connection = await session.scalar(select(Connection).where(Connection.name == name))
    if connection is None:
        raise SyncDefinitionError(f"no connection named {name!r}", "$.notify")
    try:
        spec = plugins.connector(connection.plugin).spec
    except NotFoundError as exc:
        raise SyncDefinitionError(str(exc), "$.notify") from None
    if Capability.NOTIFY not in spec.capabilities:
        raise SyncDefinitionError(
            f"connection {name!r} ({spec.name}) can't notify operators "
            "(it lacks the 'notify' capability)",
            "$.notify",
        )
    return connection


async def resolve_definition(
    session: AsyncSession, plugins: Plugins, definition: SyncCreate
) -> Resolved:
    """Look up what ``definition`` names and check it all fits together.

    Raises:
        SyncDefinitionError: an unknown segment or connection, a connection of the
            wrong kind, a capability the connector lacks, an identifier it can't take,
            an invalid cron expression, or fields that don't belong to the kind.
    """
    connection = await session.scalar(
        select(Connection).where(Connection.name == definition.connection)
    )
    if connection is None:
        raise SyncDefinitionError(f"no connection named {definition.connection!r}", "$.connection")
    try:
        spec = plugins.connector(connection.plugin).spec
    except NotFoundError as exc:
        raise SyncDefinitionError(str(exc), "$.connection") from None
    check_schedule(definition.schedule)
    if definition.kind is SyncKind.PULL:
        _check_pull(definition, spec)
        return Resolved(connection, spec, None, SyncMode.ADD_ONLY)
    if definition.kind is SyncKind.MESSAGE:
        _check_message(definition, spec)
        mode = SyncMode.ADD_ONLY
    else:
        mode = definition.mode or SyncMode.MIRROR
        _check_push_connector(definition, spec, mode)
        if definition.message is not None:
            raise SyncDefinitionError("only a message sync has a message", "$.message")
    if not definition.segment:
        raise SyncDefinitionError(f"a {definition.kind} sync needs a segment", "$.segment")
    segment = await session.scalar(select(Segment).where(Segment.name == definition.segment))
    if segment is None:
        raise SyncDefinitionError(f"no segment named {definition.segment!r}", "$.segment")
    check_identifiers(definition.identifiers, spec, definition.connection)
    limit = spec.limits.max_batch_records
    if definition.batch_size and limit and definition.batch_size > limit:
        raise SyncDefinitionError(
            f"destination {definition.connection!r} ({spec.name}) takes at most {limit} "
            "records per call",
            "$.batch_size",
        )
    return Resolved(connection, spec, segment, mode)


def _check_pull(definition: SyncCreate, spec: ConnectorSpec) -> None:
    if spec.kind is not Kind.SOURCE:
        raise SyncDefinitionError(
            f"a pull sync reads from a source; {definition.connection!r} is a {spec.kind}",
            "$.connection",
        )
    if Capability.PULL not in spec.capabilities:
        raise SyncDefinitionError(
            f"source {definition.connection!r} ({spec.name}) can't be pulled from: it "
            "receives data over HTTP instead",
            "$.connection",
        )
    extras: dict[str, Any] = {
        "segment": definition.segment,
        "mode": definition.mode,
        "identifiers": definition.identifiers or None,
        "consent_purpose": definition.consent_purpose,
        "batch_size": definition.batch_size,
        "message": definition.message,
    }
    for field, value in extras.items():
        if value is not None:
            raise SyncDefinitionError(f"a pull sync has no {field}", f"$.{field}")


def _check_message(definition: SyncCreate, spec: ConnectorSpec) -> None:
    if spec.kind is not Kind.DESTINATION or Capability.MESSAGE not in spec.capabilities:
        raise SyncDefinitionError(
            f"a message sync sends through a messaging destination; {definition.connection!r} "
            f"({spec.name}) can't send messages (it lacks the 'message' capability)",
            "$.connection",
        )
    if definition.mode is not None:
        raise SyncDefinitionError(
            "a message sync has no mode: it messages people who enter the segment", "$.mode"
        )
    if not definition.consent_purpose:
        raise SyncDefinitionError(
            "a message sync needs the consent purpose of its channel (e.g. 'sms', 'email'): "
            "people without it are never messaged",
            "$.consent_purpose",
        )
    if definition.message is None:
        raise SyncDefinitionError("a message sync needs a message", "$.message")
    try:
        definition.message.check()
    except SettingsError as exc:
        raise SyncDefinitionError(str(exc), exc.path) from None


def _check_push_connector(definition: SyncCreate, spec: ConnectorSpec, mode: SyncMode) -> None:
    if spec.kind is not Kind.DESTINATION:
        raise SyncDefinitionError(
            f"a push sync sends to a destination; {definition.connection!r} is a {spec.kind}",
            "$.connection",
        )
    needed = Capability.AUDIENCE_REPLACE if mode is SyncMode.REPLACE else Capability.AUDIENCE
    if needed not in spec.capabilities:
        what = "replace whole audiences" if mode is SyncMode.REPLACE else "keep audiences"
        raise SyncDefinitionError(
            f"destination {definition.connection!r} ({spec.name}) can't {what} "
            f"(it lacks the {needed.value!r} capability) for mode {mode.value!r}",
            "$.mode" if mode is SyncMode.REPLACE else "$.connection",
        )
