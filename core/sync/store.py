"""Stored sync definitions: create, read, change. Nothing is stored when invalid."""

from __future__ import annotations

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core import audit
from junction.core.db import Database
from junction.core.db.tables import Connection, Segment, Sync
from junction.core.errors import NotFoundError
from junction.core.sync.changes import SegmentAudience
from junction.core.sync.definitions import SyncCreate, SyncKind, SyncMode, SyncUpdate, SyncView
from junction.core.sync.errors import SyncDefinitionError
from junction.core.sync.validate import (
    check_identifiers,
    check_schedule,
    resolve_definition,
    resolve_notify,
)
from junction.plugins.manager import Plugins

__all__ = ["create_sync", "decode_definition", "get_sync", "list_syncs", "load_sync", "update_sync"]


async def create_sync(
    db: Database, plugins: Plugins, definition: SyncCreate, *, actor: str
) -> SyncView:
    """Validate and store a new sync (and an audit entry).

    Raises:
        SyncDefinitionError: the definition is refused; the message says why and where.
    """
    definition = decode_definition(msgspec.to_builtins(definition))
    async with db.transaction() as session:
        # Writing the audit entry first takes SQLite's write lock before anything is read.
        await audit.append(
            session,
            actor=actor,
            action="sync.create",
            target=f"sync:{definition.name}",
            details={"definition": _builtins(definition)},
        )
        if await session.scalar(select(Sync.id).where(Sync.name == definition.name)):
            raise SyncDefinitionError(f"a sync named {definition.name!r} already exists", "$.name")
        resolved = await resolve_definition(session, plugins, definition)
        notify = await resolve_notify(session, plugins, definition.notify)
        push = definition.kind is SyncKind.PUSH
        baseline = None
        if definition.kind is SyncKind.MESSAGE and resolved.segment is not None:
            # Messages go to people who enter the segment from now on, not to everyone
            # already in it: the newest computed run is where "entered" starts.
            baseline = await SegmentAudience(db, resolved.segment.name).latest()
        row = Sync(
            name=definition.name,
            kind=definition.kind.value,
            connection_id=resolved.connection.id,
            segment_id=resolved.segment.id if resolved.segment else None,
            mode=resolved.mode.value if push else None,
            identifiers=list(definition.identifiers),
            consent_purpose=definition.consent_purpose,
            batch_size=definition.batch_size,
            schedule=check_schedule(definition.schedule),
            enabled=definition.enabled,
            state={},
            consent_watermark=0,
            segment_run_id=baseline,
            message=msgspec.to_builtins(definition.message) if definition.message else None,
            notify_connection_id=notify.id if notify else None,
            created_by=actor,
        )
        session.add(row)
        await session.flush()
        return await _view(session, row)


async def update_sync(
    db: Database, plugins: Plugins, name: str, changes: SyncUpdate, *, actor: str
) -> SyncView:
    """Change a sync's schedule, enabled flag, identifiers or consent purpose.

    Raises:
        NotFoundError: no such sync.
        SyncDefinitionError: the change is refused.
    """
    async with db.transaction() as session:
        await audit.append(
            session,
            actor=actor,
            action="sync.update",
            target=f"sync:{name}",
            details={"changes": _builtins(changes)},
        )
        row = await load_sync(session, name)
        if changes.manual and changes.schedule is not None:
            raise SyncDefinitionError("give a schedule or manual, not both", "$.schedule")
        if changes.schedule is not None:
            row.schedule = check_schedule(changes.schedule)
        elif changes.manual:
            row.schedule = None
        if changes.enabled is not None:
            row.enabled = changes.enabled
        if changes.identifiers is not None:
            if row.kind == SyncKind.PULL:
                raise SyncDefinitionError("a pull sync has no identifiers", "$.identifiers")
            connection = await session.get(Connection, row.connection_id)
            assert connection is not None
            spec = plugins.connector(connection.plugin).spec
            check_identifiers(changes.identifiers, spec, connection.name)
            row.identifiers = list(changes.identifiers)
        if changes.consent_purpose is not None:
            row.consent_purpose = changes.consent_purpose or None
        if changes.notify is not None:
            notify = await resolve_notify(session, plugins, changes.notify)
            row.notify_connection_id = notify.id if notify else None
        await session.flush()
        return await _view(session, row)


async def get_sync(db: Database, name: str) -> SyncView:
    """One sync.

    Raises:
        NotFoundError: no such sync.
    """
    async with db.sessions() as session:
        return await _view(session, await load_sync(session, name))


async def list_syncs(db: Database) -> list[SyncView]:
    """Every sync, by name."""
    async with db.sessions() as session:
        rows = (await session.scalars(select(Sync).order_by(Sync.name))).all()
        return [await _view(session, row) for row in rows]


async def load_sync(session: AsyncSession, name: str) -> Sync:
    """The sync row named ``name``.

    Raises:
        NotFoundError: no such sync.
    """
    row = await session.scalar(select(Sync).where(Sync.name == name))
    if row is None:
        raise NotFoundError(f"no sync named {name!r}")
    return row


async def _view(session: AsyncSession, row: Sync) -> SyncView:
    connection = await session.get(Connection, row.connection_id)
    segment = await session.get(Segment, row.segment_id) if row.segment_id else None
    notify = (
        await session.get(Connection, row.notify_connection_id)
        if row.notify_connection_id
        else None
    )
    assert connection is not None
    return SyncView(
        id=row.id,
        name=row.name,
        kind=SyncKind(row.kind),
        connection=connection.name,
        plugin=connection.plugin,
        segment=segment.name if segment else None,
        mode=SyncMode(row.mode) if row.mode else None,
        identifiers=list(row.identifiers),
        consent_purpose=row.consent_purpose,
        schedule=row.schedule,
        enabled=row.enabled,
        batch_size=row.batch_size,
        segment_run_id=row.segment_run_id,
        state=dict(row.state),
        message=dict(row.message) if row.message else None,
        notify=notify.name if notify else None,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _builtins(value: object) -> object:
    return msgspec.to_builtins(value)


def decode_definition(raw: object) -> SyncCreate:
    """Decode (and so validate the shape of) a definition from JSON-like data.

    Raises:
        SyncDefinitionError: a field is missing, unknown or of the wrong type or form;
            msgspec's message, with the path of the field.
    """
    try:
        return msgspec.convert(raw, SyncCreate)
    except msgspec.ValidationError as exc:
        message = str(exc)
        path = message.rsplit(" - at `", 1)[1].rstrip("`") if " - at `" in message else "$"
        raise SyncDefinitionError(message.split(" - at `")[0], path) from None
