"""Login rate limiting per (user name, client address), kept in the database.

After :data:`MAX_FAILURES` failed sign-ins within :data:`WINDOW` the pair is locked
for :data:`LOCKOUT`; a successful sign-in clears it. Keeping the counters in the hub's
database makes the limit hold across every API process of a deployment. Keys are
hashed so the table doesn't collect what people typed into the name field.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete

from junction.core.db import Database
from junction.core.db.tables import LoginThrottle
from junction.core.db.types import utcnow

__all__ = ["LOCKOUT", "MAX_FAILURES", "WINDOW", "clear", "locked_until", "record_failure"]

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


def _key(name: str, ip: str) -> str:
    return hashlib.sha256(f"{name.strip().lower()}\n{ip}".encode()).hexdigest()


async def locked_until(db: Database, name: str, ip: str) -> datetime | None:
    """When the pair may try again, or None when it may try now."""
    async with db.sessions() as session:
        row = await session.get(LoginThrottle, _key(name, ip))
    if row is None or row.locked_until is None or row.locked_until <= utcnow():
        return None
    return row.locked_until


async def record_failure(db: Database, name: str, ip: str) -> datetime | None:
    """Count a failed sign-in; return the lock's end if this failure locked the pair."""
    now = utcnow()
    async with db.transaction() as session:
        row = await session.get(LoginThrottle, _key(name, ip), with_for_update=True)
        if row is None:
            row = LoginThrottle(key=_key(name, ip), failures=0, window_started_at=now)
            session.add(row)
        elif now - row.window_started_at > WINDOW:
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= MAX_FAILURES:
            row.locked_until = now + LOCKOUT
            return row.locked_until
    return None


async def clear(db: Database, name: str, ip: str) -> None:
    """Forget the pair's failures (after a successful sign-in)."""
    async with db.transaction() as session:
        await session.execute(delete(LoginThrottle).where(LoginThrottle.key == _key(name, ip)))
