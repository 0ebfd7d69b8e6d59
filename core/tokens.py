"""The hub's :class:`~junction.plugins.tokens.TokenStore`: tokens sealed in the database.

Every worker process of a deployment shares a connection's token: it is read from the
``connector_tokens`` table and refreshed by one process at a time. Within a process an
asyncio lock serializes refreshes; across processes on PostgreSQL the token's row is
locked (``SELECT ... FOR UPDATE``) while its holder fetches, so the others wait and
then read the new token instead of fetching (and invalidating) one of their own.
SQLite deployments are one process (see docs/operators.md), which the process lock
covers; no write transaction is held open across the fetch there, because that would
stall ingestion for as long as the platform takes to answer.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db import Database
from junction.core.db.tables import ConnectorToken
from junction.core.redaction import known_secrets
from junction.core.secrets import SecretBox
from junction.plugins.tokens import REFRESH_MARGIN, TokenFetch

__all__ = ["DatabaseTokenStore"]

#: One lock per (database, connection, key) in this process.
_LOCKS: dict[tuple[str, int, str], asyncio.Lock] = {}


class DatabaseTokenStore:
    """Connection ``connection_id``'s tokens, sealed with ``box`` in ``db``."""

    def __init__(self, db: Database, box: SecretBox, connection_id: int) -> None:
        self.db = db
        self.box = box
        self.connection_id = connection_id

    async def get(self, key: str, fetch: TokenFetch, *, stale: str | None = None) -> str:
        async with self.db.sessions() as session:
            held = await self._held(session, key, lock=False)
        if held is not None and held != stale:
            return held
        lock = _LOCKS.setdefault((str(self.db.engine.url), self.connection_id, key), asyncio.Lock())
        async with lock:
            if self.db.dialect == "postgresql":
                return await self._refresh_locked(key, fetch, stale)
            async with self.db.sessions() as session:
                held = await self._held(session, key, lock=False)
            if held is not None and held != stale:
                return held
            return await self._fetch_and_store(key, fetch)

    async def _refresh_locked(self, key: str, fetch: TokenFetch, stale: str | None) -> str:
        await self._ensure_row(key)
        async with self.db.transaction() as session:
            held = await self._held(session, key, lock=True)
            if held is not None and held != stale:
                return held
            token = await fetch()
            await self._store(session, key, token.value, token.expires_at(_now()))
            return token.value

    async def _fetch_and_store(self, key: str, fetch: TokenFetch) -> str:
        token = await fetch()
        await self._ensure_row(key)
        async with self.db.transaction() as session:
            await self._store(session, key, token.value, token.expires_at(_now()))
        return token.value

    async def _held(self, session: AsyncSession, key: str, *, lock: bool) -> str | None:
        """The stored token when it is still good for longer than the refresh margin."""
        query = select(ConnectorToken.sealed, ConnectorToken.expires_at).where(
            ConnectorToken.connection_id == self.connection_id, ConnectorToken.key == key
        )
        if lock:
            query = query.with_for_update()
        row = (await session.execute(query)).one_or_none()
        if row is None or row.sealed is None or row.expires_at is None:
            return None
        if row.expires_at - REFRESH_MARGIN <= _now():
            return None
        value = str(self.box.open(row.sealed, context=self._context(key))["value"])
        known_secrets.add(value)  # scrubbed from any error or log line that carries it
        return value

    async def _ensure_row(self, key: str) -> None:
        """Insert the (empty) row to lock, unless it exists."""
        try:
            async with self.db.transaction() as session:
                exists = await session.scalar(
                    select(ConnectorToken.key).where(
                        ConnectorToken.connection_id == self.connection_id,
                        ConnectorToken.key == key,
                    )
                )
                if exists is None:
                    await session.execute(
                        insert(ConnectorToken).values(
                            connection_id=self.connection_id, key=key, updated_at=_now()
                        )
                    )
        except IntegrityError:
            pass  # another process inserted it first: it exists, which is all we need

    async def _store(self, session: AsyncSession, key: str, value: str, expires: datetime) -> None:
        known_secrets.add(value)
        sealed = self.box.seal({"value": value}, context=self._context(key))
        await session.execute(
            update(ConnectorToken)
            .where(ConnectorToken.connection_id == self.connection_id, ConnectorToken.key == key)
            .values(sealed=sealed, expires_at=expires, updated_at=_now())
        )

    def _context(self, key: str) -> str:
        # Binds the sealed token to its row: a copied row can't be opened elsewhere.
        return f"connector_token:{self.connection_id}:{key}"


def _now() -> datetime:
    return datetime.now(UTC)
