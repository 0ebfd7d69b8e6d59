"""Write keys: what SDKs present to send events to a source connection.

A key is shown once, when it is issued, and stored only as its SHA-256 (keys are 192
random bits, so a fast unsalted hash cannot be reversed by guessing) plus its first
characters, so admins can tell keys apart. Authentication looks the hash up: the
comparison happens inside the database's index, never character by character in
Python, so response times say nothing about how close a guess was.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.db import Database
from junction.core.db.tables import Connection, WriteKey
from junction.core.db.types import utcnow
from junction.plugins.receiver import SourceRef

__all__ = [
    "KEY_PREFIX",
    "PREFIX_LENGTH",
    "WriteKeyAuthenticator",
    "hash_write_key",
    "issue_write_key",
    "new_write_key",
    "revoke_write_keys",
]

#: Marks a string as a Junction write key, so one pasted in the wrong place (or found
#: by a secret scanner) is recognisable.
KEY_PREFIX = "jk_"
#: How many leading characters are stored in clear in ``write_keys.prefix``.
PREFIX_LENGTH = 8


def new_write_key() -> str:
    """A fresh random write key: ``"jk_"`` followed by 32 URL-safe characters."""
    return KEY_PREFIX + secrets.token_urlsafe(24)


def hash_write_key(key: str) -> str:
    """The SHA-256 hex digest stored in ``write_keys.key_hash``."""
    return hashlib.sha256(key.encode()).hexdigest()


async def issue_write_key(session: AsyncSession, connection_id: int) -> str:
    """Store a new key for ``connection_id`` inside the caller's transaction.

    Returns:
        The key itself. It is not stored anywhere: the caller shows it once.
    """
    key = new_write_key()
    session.add(
        WriteKey(
            connection_id=connection_id,
            key_hash=hash_write_key(key),
            prefix=key[:PREFIX_LENGTH],
        )
    )
    await session.flush()
    return key


async def revoke_write_keys(session: AsyncSession, connection_id: int) -> int:
    """Revoke every active key of ``connection_id``; returns how many were revoked."""
    result = await session.execute(
        update(WriteKey)
        .where(WriteKey.connection_id == connection_id, WriteKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


class WriteKeyAuthenticator:
    """Finds the source behind a write key, remembering answers for a few seconds.

    Every tracking request authenticates, so a successful lookup is cached for
    ``ttl`` seconds: a key revoked (or a connection disabled) keeps working at most
    that long in each process. Failed lookups are not cached, so a key issued a moment
    ago works at once.
    """

    def __init__(
        self,
        db: Database,
        *,
        ttl: float = 5.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._cache: dict[str, tuple[SourceRef, float]] = {}

    async def authenticate(self, key: str) -> SourceRef | None:
        """The enabled connection owning ``key``, or None if unknown, revoked or disabled."""
        if not key:
            return None
        digest = hash_write_key(key)
        now = self._clock()
        cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        async with self.db.sessions() as session:
            row = (
                await session.execute(
                    select(Connection.id, Connection.name, Connection.plugin)
                    .join(WriteKey, WriteKey.connection_id == Connection.id)
                    .where(
                        WriteKey.key_hash == digest,
                        WriteKey.revoked_at.is_(None),
                        Connection.enabled.is_(True),
                    )
                )
            ).first()
        if row is None:
            self._cache.pop(digest, None)
            return None
        if len(self._cache) >= self.max_entries:
            # Keys are few in practice; a full cache means someone is cycling keys,
            # and forgetting everything is cheaper than tracking recency.
            self._cache.clear()
        source = SourceRef(id=row.id, name=row.name, plugin=row.plugin)
        self._cache[digest] = (source, now + self.ttl)
        return source

    def forget(self) -> None:
        """Drop every cached answer (after a rotation in this process, for instance)."""
        self._cache.clear()
