"""Browser sessions of the web admin: a random cookie token, stored only as its SHA-256.

A session lasts :data:`IDLE_TIMEOUT` after its last request, and at most
:data:`MAX_AGE` after sign-in. Each carries its own CSRF token, which every form and
every state-changing request of the session must send back.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import msgspec
from sqlalchemy import delete, select

from junction.core.api_tokens import Role
from junction.core.db import Database
from junction.core.db.tables import AdminUser, WebSession
from junction.core.db.types import utcnow

__all__ = ["IDLE_TIMEOUT", "MAX_AGE", "SessionInfo", "end_session", "open_session", "start_session"]

IDLE_TIMEOUT = timedelta(hours=8)
MAX_AGE = timedelta(days=7)
# Writing last_seen_at at most this often keeps page views from all becoming writes.
_TOUCH_EVERY = timedelta(minutes=1)


class SessionInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Who a session belongs to, and the CSRF token its forms carry."""

    user_id: int
    user: str
    role: Role
    csrf_token: str
    expires_at: datetime

    @property
    def actor(self) -> str:
        return f"user:{self.user}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    db: Database, user_id: int, *, ip: str | None = None, user_agent: str | None = None
) -> str:
    """Open a session for ``user_id``; return the cookie value (shown to nobody else)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    async with db.transaction() as session:
        # Sign-in is a natural moment to forget this user's expired sessions.
        await session.execute(
            delete(WebSession).where(WebSession.user_id == user_id, WebSession.expires_at < now)
        )
        session.add(
            WebSession(
                token_hash=_hash(token),
                user_id=user_id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                expires_at=now + IDLE_TIMEOUT,
                ip=ip,
                user_agent=(user_agent or "")[:300] or None,
            )
        )
    return token


async def open_session(db: Database, token: str) -> SessionInfo | None:
    """The session for a cookie value, or None when unknown, expired or its user disabled.

    A live session's idle deadline moves forward (capped at :data:`MAX_AGE`).
    """
    if not token:
        return None
    now = utcnow()
    async with db.transaction() as session:
        found = (
            await session.execute(
                select(WebSession, AdminUser)
                .join(AdminUser, AdminUser.id == WebSession.user_id)
                .where(WebSession.token_hash == _hash(token))
            )
        ).first()
        if found is None:
            return None
        row, user = found
        if row.expires_at <= now or user.disabled_at is not None:
            await session.delete(row)
            return None
        if now - row.last_seen_at >= _TOUCH_EVERY:
            row.last_seen_at = now
            row.expires_at = min(now + IDLE_TIMEOUT, row.created_at + MAX_AGE)
        return SessionInfo(
            user_id=user.id,
            user=user.name,
            role=Role(user.role),
            csrf_token=row.csrf_token,
            expires_at=row.expires_at,
        )


async def end_session(db: Database, token: str) -> None:
    """Sign out: the cookie value stops working at once."""
    async with db.transaction() as session:
        await session.execute(delete(WebSession).where(WebSession.token_hash == _hash(token)))
