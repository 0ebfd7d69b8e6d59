"""Web admin users: a name, an argon2id password hash and a role.

Roles are the API tokens' roles (:class:`~junction.core.api_tokens.Role`): ``viewer``
reads with PII masked, ``editor`` also changes configuration, ``admin`` also manages
users and tokens, erases profiles and may reveal PII. Passwords are hashed with
argon2id (argon2-cffi's defaults, the RFC 9106 low-memory profile) and never stored,
logged or audited; a hash made with older parameters is upgraded at the next sign-in.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core import audit
from junction.core.api_tokens import Role
from junction.core.db import Database
from junction.core.db.tables import AdminUser, WebSession
from junction.core.db.types import utcnow
from junction.core.errors import ConfigError, NotFoundError

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "User",
    "authenticate_user",
    "create_user",
    "disable_user",
    "get_user",
    "list_users",
    "parse_role",
    "set_password",
]

MIN_PASSWORD_LENGTH = 10
#: argon2id with argon2-cffi's defaults (RFC 9106 low-memory: t=3, m=64 MiB, p=4). Tests
#: swap in a cheaper one; hashes carry their own parameters, so either verifies the other.
HASHER = PasswordHasher()
_DUMMY = "junction: no such user"


async def _hash_password(password: str) -> str:
    # argon2 takes a good fraction of a second by design: off the event loop.
    return await asyncio.to_thread(HASHER.hash, password)


async def _verify(stored: str | None, password: str) -> bool:
    """Check ``password``; with no stored hash, spend the same effort and say no, so the
    response time doesn't tell which user names exist."""

    def check() -> bool:
        try:
            return HASHER.verify(stored or HASHER.hash(_DUMMY), password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


class User(msgspec.Struct, frozen=True, kw_only=True):
    """A user as pages and the CLI show it (never the hash)."""

    id: int
    name: str
    role: Role
    created_by: str
    created_at: datetime
    last_login_at: datetime | None
    disabled_at: datetime | None

    @property
    def actor(self) -> str:
        return f"user:{self.name}"


def parse_role(role: str) -> Role:
    """Raises ConfigError naming the known roles."""
    try:
        return Role(role)
    except ValueError:
        raise ConfigError(
            f"role must be one of {', '.join(r.value for r in Role)}, got {role!r}"
        ) from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or any(ch.isspace() for ch in name):
        raise ConfigError("a user name is 1-100 characters without spaces")
    return name


async def create_user(db: Database, *, name: str, password: str, role: str, actor: str) -> User:
    """Create a user.

    Raises:
        ConfigError: the name is malformed or taken, the role unknown, or the password
            shorter than :data:`MIN_PASSWORD_LENGTH`.
    """
    name = _check_name(name)
    parsed = parse_role(role)
    _check_password(password)
    password_hash = await _hash_password(password)
    try:
        async with db.transaction() as session:
            row = AdminUser(
                name=name,
                password_hash=password_hash,
                role=parsed.value,
                created_by=actor,
            )
            session.add(row)
            await session.flush()
            await audit.append(
                session,
                actor=actor,
                action="user.create",
                target=f"user:{name}",
                details={"role": parsed.value},
            )
    except IntegrityError:
        raise ConfigError(f"a user named {name!r} already exists") from None
    return _view(row)


async def list_users(db: Database) -> list[User]:
    async with db.sessions() as session:
        rows = (await session.scalars(select(AdminUser).order_by(AdminUser.name))).all()
    return [_view(row) for row in rows]


async def get_user(db: Database, user_id: int) -> User:
    """Raises NotFoundError."""
    async with db.sessions() as session:
        row = await session.get(AdminUser, user_id)
    if row is None:
        raise NotFoundError(f"no user with id {user_id}")
    return _view(row)


async def set_password(db: Database, name: str, password: str, *, actor: str) -> None:
    """Change a user's password and sign out every browser of theirs.

    Raises:
        NotFoundError: no such user.
        ConfigError: the password is too short.
    """
    _check_password(password)
    password_hash = await _hash_password(password)
    async with db.transaction() as session:
        row = await _by_name(session, name)
        row.password_hash = password_hash
        await _end_sessions(session, row.id)
        await audit.append(session, actor=actor, action="user.passwd", target=f"user:{name}")


async def disable_user(db: Database, name: str, *, actor: str) -> None:
    """Disable a user: they can't sign in and their sessions end at once.

    Raises:
        NotFoundError: no such user.
    """
    async with db.transaction() as session:
        row = await _by_name(session, name)
        if row.disabled_at is None:
            row.disabled_at = utcnow()
        await _end_sessions(session, row.id)
        await audit.append(session, actor=actor, action="user.disable", target=f"user:{name}")


async def authenticate_user(db: Database, name: str, password: str) -> User | None:
    """The user if ``password`` is theirs and they are enabled, else None.

    Takes the same time whether or not the name exists. Callers rate-limit attempts
    (see :mod:`junction.core.login_throttle`) and audit the outcome.
    """
    async with db.sessions() as session:
        row = await session.scalar(select(AdminUser).where(AdminUser.name == name.strip()))
    if not await _verify(row.password_hash if row else None, password):
        return None
    if row is None or row.disabled_at is not None:
        return None
    rehashed = (
        await _hash_password(password) if HASHER.check_needs_rehash(row.password_hash) else None
    )
    async with db.transaction() as session:
        stored = await session.get(AdminUser, row.id)
        if stored is None:
            return None
        if rehashed:
            stored.password_hash = rehashed
        stored.last_login_at = utcnow()
        return _view(stored)


async def _by_name(session: AsyncSession, name: str) -> AdminUser:
    row = await session.scalar(select(AdminUser).where(AdminUser.name == name))
    if row is None:
        raise NotFoundError(f"no user named {name!r}")
    return row


async def _end_sessions(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def _view(row: AdminUser) -> User:
    return User(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        created_by=row.created_by,
        created_at=row.created_at,
        last_login_at=row.last_login_at,
        disabled_at=row.disabled_at,
    )
