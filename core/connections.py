"""Connections: configured plugin instances, their config validated and secrets sealed.

A connection's config is split on the way in: non-secret fields are stored as JSON,
secret fields (those the plugin's schema marks ``writeOnly``) are sealed with the hub's
key. What goes out (:class:`ConnectionView`) names which secrets are set, never their
values. Only :meth:`Connections.context` opens the secrets, to hand them to the plugin.

A connection whose connector receives data (``Capability.RECEIVE``) also gets a write
key, for senders to authenticate with. The key is returned once, by :meth:`create`
(:attr:`ConnectionCreated.created_write_key`) or :meth:`rotate_write_key`, and stored
only hashed (see :mod:`junction.core.ingest.write_keys`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from junction.core import audit
from junction.core.db import Database
from junction.core.db.tables import Connection
from junction.core.errors import ConfigError, NotFoundError
from junction.core.ingest.write_keys import PREFIX_LENGTH, issue_write_key, revoke_write_keys
from junction.core.redaction import known_secrets
from junction.core.secrets import SecretBox
from junction.core.tokens import DatabaseTokenStore
from junction.plugins import Capability, CheckResult, ConnectorContext, PluginError
from junction.plugins.manager import Plugins

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


class ConnectionView(msgspec.Struct, frozen=True, kw_only=True):
    """A connection as APIs and the CLI show it: secrets named, never shown."""

    id: int
    name: str
    plugin: str
    kind: str
    enabled: bool
    config: dict[str, Any]
    secrets_set: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


class ConnectionCreated(ConnectionView, frozen=True, kw_only=True):
    """What :meth:`Connections.create` returns: the view, plus the write key once.

    ``created_write_key`` is set for connections that receive data and is never
    available again: show it to whoever created the connection, then forget it.
    """

    created_write_key: str | None = None


class Connections:
    """Create, list, open and check connections."""

    def __init__(self, db: Database, plugins: Plugins, box: SecretBox) -> None:
        self.db = db
        self.plugins = plugins
        self.box = box

    async def create(
        self, *, name: str, plugin: str, config: dict[str, Any], actor: str
    ) -> ConnectionCreated:
        """Validate ``config`` against the plugin's schema and store the connection.

        A connector with ``Capability.RECEIVE`` gets a write key, returned once in
        ``created_write_key`` (the audit entry records only its prefix).

        Raises:
            ConfigError: the name is malformed or taken, or the config doesn't validate
                (the message names the field). Nothing is stored then.
            NotFoundError: no plugin named ``plugin`` is installed.
        """
        if not _NAME.match(name):
            raise ConfigError(
                f"connection name {name!r} must be 1-100 characters of a-z, 0-9, - and _, "
                "starting with a letter or digit"
            )
        connector = self.plugins.connector(plugin)
        spec = connector.spec
        validate_config(spec.config, config)
        secret_fields = spec.secret_fields
        public = {k: v for k, v in config.items() if k not in secret_fields}
        secrets = {k: v for k, v in config.items() if k in secret_fields}
        try:
            async with self.db.transaction() as session:
                row = Connection(
                    name=name,
                    plugin=plugin,
                    kind=spec.kind,
                    config=public,
                    secrets_set=sorted(secrets),
                )
                session.add(row)
                await session.flush()
                row.secrets = self.box.seal(secrets, context=_context(row.id))
                details: dict[str, Any] = {
                    "plugin": plugin,
                    "config": public,
                    "secrets_set": sorted(secrets),
                }
                write_key = None
                if Capability.RECEIVE in spec.capabilities:
                    write_key = await issue_write_key(session, row.id)
                    details["write_key_prefix"] = write_key[:PREFIX_LENGTH]
                await audit.append(
                    session,
                    actor=actor,
                    action="connection.create",
                    target=f"connection:{name}",
                    details=details,
                    secret_fields=secret_fields,
                )
        except IntegrityError:
            raise ConfigError(f"a connection named {name!r} already exists") from None
        return ConnectionCreated(**msgspec.structs.asdict(_view(row)), created_write_key=write_key)

    async def rotate_write_key(self, name: str, *, actor: str) -> str:
        """Revoke the write keys of connection ``name`` and issue a new one.

        Senders using an old key are refused from then on (after at most the few
        seconds a running hub caches a key).

        Returns:
            The new key, shown this once; the audit entry records only its prefix.

        Raises:
            NotFoundError: no such connection.
            ConfigError: its connector does not receive data, so it has no write key.
        """
        row = await self._row(name)
        if Capability.RECEIVE not in self.plugins.connector(row.plugin).spec.capabilities:
            raise ConfigError(
                f"connection {name!r} ({row.plugin}) does not receive data: it has no write key"
            )
        async with self.db.transaction() as session:
            revoked = await revoke_write_keys(session, row.id)
            key = await issue_write_key(session, row.id)
            await audit.append(
                session,
                actor=actor,
                action="connection.rotate_write_key",
                target=f"connection:{name}",
                details={"revoked": revoked, "write_key_prefix": key[:PREFIX_LENGTH]},
            )
        return key

    async def update(self, name: str, *, config: dict[str, Any], actor: str) -> ConnectionView:
        """Replace connection ``name``'s config; a secret left out or blank keeps its value.

        Forms never show secrets back, so an edit form sends secrets only when the person
        typed a new one. The merged config is validated like :meth:`create`'s.

        Raises:
            NotFoundError: no such connection.
            ConfigError: the merged config doesn't validate (the message names the field).
        """
        row = await self._row(name)
        spec = self.plugins.connector(row.plugin).spec
        secret_fields = spec.secret_fields
        kept = self.box.open(row.secrets, context=_context(row.id)) if row.secrets else {}
        typed = {k: v for k, v in config.items() if k in secret_fields and v not in (None, "")}
        secrets = {**kept, **typed}
        public = {k: v for k, v in config.items() if k not in secret_fields}
        validate_config(spec.config, {**public, **secrets})
        async with self.db.transaction() as session:
            stored = await session.get(Connection, row.id)
            if stored is None:
                raise NotFoundError(f"no connection named {name!r}")
            stored.config = public
            stored.secrets_set = sorted(secrets)
            stored.secrets = self.box.seal(secrets, context=_context(row.id)) if secrets else None
            await audit.append(
                session,
                actor=actor,
                action="connection.update",
                target=f"connection:{name}",
                details={"config": public, "secrets_changed": sorted(typed)},
                secret_fields=secret_fields,
            )
            await session.flush()
            return _view(stored)

    async def list(self) -> list[ConnectionView]:
        async with self.db.sessions() as session:
            rows = (await session.scalars(select(Connection).order_by(Connection.name))).all()
        return [_view(row) for row in rows]

    async def get(self, name: str) -> ConnectionView:
        row = await self._row(name)
        return _view(row)

    async def context(
        self, name: str, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> ConnectorContext[Any]:
        """The plugin's context for connection ``name``, with its secrets opened.

        Raises:
            NotFoundError: no such connection, or its plugin is no longer installed.
            SecretKeyError: the secrets can't be opened with the configured key.
            ConfigError: the stored config no longer validates against the plugin.
        """
        row = await self._row(name)
        spec = self.plugins.connector(row.plugin).spec
        secrets = self.box.open(row.secrets, context=_context(row.id)) if row.secrets else {}
        known_secrets.add(*secrets.values())
        config = validate_config(spec.config, {**row.config, **secrets})
        return ConnectorContext(
            connection=row.name,
            config=config,
            transport=transport,
            tokens=DatabaseTokenStore(self.db, self.box, row.id),
        )

    async def check(
        self, name: str, *, actor: str, transport: httpx.AsyncBaseTransport | None = None
    ) -> CheckResult:
        """Run the plugin's ``check`` and record that it ran (and how) in the audit log."""
        ctx = await self.context(name, transport=transport)
        connector = self.plugins.connector((await self._row(name)).plugin)()
        try:
            result = await connector.check(ctx)
        except PluginError as exc:
            result = CheckResult(
                ok=False, message=known_secrets.scrub(f"{type(exc).__name__}: {exc.message}")
            )
        async with self.db.transaction() as session:
            await audit.append(
                session,
                actor=actor,
                action="connection.check",
                target=f"connection:{name}",
                details={"ok": result.ok, "message": result.message},
            )
        return result

    async def _row(self, name: str) -> Connection:
        async with self.db.sessions() as session:
            row = await session.scalar(select(Connection).where(Connection.name == name))
        if row is None:
            raise NotFoundError(f"no connection named {name!r}")
        return row


def validate_config(config_type: type[msgspec.Struct], config: dict[str, Any]) -> Any:
    """Decode ``config`` into the plugin's config Struct.

    Raises:
        ConfigError: with msgspec's precise message, e.g. "Expected `int`, got `str` -
            at `$.port`", rephrased to name the config.
    """
    try:
        return msgspec.convert(config, config_type)
    except msgspec.ValidationError as exc:
        message = str(exc).replace("`$.", "`config.").replace("`$`", "`config`")
        raise ConfigError(f"invalid config: {message}") from None


def _context(connection_id: int) -> str:
    return f"connection:{connection_id}"


def _view(row: Connection) -> ConnectionView:
    return ConnectionView(
        id=row.id,
        name=row.name,
        plugin=row.plugin,
        kind=row.kind,
        enabled=row.enabled,
        config=dict(row.config),
        secrets_set=tuple(row.secrets_set),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
