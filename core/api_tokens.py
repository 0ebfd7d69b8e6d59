"""API tokens for the REST API: random, shown once, stored as SHA-256, with a role.

Roles, from least to most: ``viewer`` reads (PII masked), ``editor`` also changes
configuration, ``admin`` also erases profiles and may reveal PII (each reveal audited).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum

import msgspec
from sqlalchemy import select, update

from junction.core import audit
from junction.core.db import Database
from junction.core.db.tables import ApiToken
from junction.core.db.types import utcnow
from junction.core.errors import ConfigError, NotFoundError

PREFIX = "jt_"


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        order = [Role.VIEWER, Role.EDITOR, Role.ADMIN]
        return order.index(self) >= order.index(needed)


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling: the token's (or signed-in user's) name and role."""

    token_id: int
    name: str
    role: Role
    #: "token" for an API token; "user" for a web admin session (``token_id`` is 0).
    kind: str = "token"

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"


class TokenView(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    name: str
    prefix: str
    role: Role
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(db: Database, *, name: str, role: str, actor: str) -> tuple[str, TokenView]:
    """Create a token; the plaintext is returned here and never again.

    Raises:
        ConfigError: the role is unknown or the name empty.
    """
    try:
        parsed = Role(role)
    except ValueError:
        raise ConfigError(
            f"role must be one of {', '.join(r.value for r in Role)}, got {role!r}"
        ) from None
    if not name.strip():
        raise ConfigError("a token needs a name saying who or what uses it")
    token = PREFIX + secrets.token_urlsafe(32)
    async with db.transaction() as session:
        row = ApiToken(
            name=name.strip(),
            token_hash=_hash(token),
            prefix=token[:10],
            role=parsed.value,
            created_by=actor,
        )
        session.add(row)
        await session.flush()
        await audit.append(
            session,
            actor=actor,
            action="token.create",
            target=f"token:{row.id}",
            details={"name": row.name, "role": row.role, "prefix": row.prefix},
        )
    return token, _view(row)


async def authenticate(db: Database, token: str) -> Principal | None:
    """The principal for a bearer token, or None when unknown or revoked."""
    if not token.startswith(PREFIX):
        return None
    async with db.transaction() as session:
        row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
        if row is None or row.revoked_at is not None:
            return None
        now = utcnow()
        # Recording use at most once a minute keeps reads from becoming writes.
        if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
            row.last_used_at = now
        return Principal(token_id=row.id, name=row.name, role=Role(row.role))


async def list_tokens(db: Database) -> list[TokenView]:
    async with db.sessions() as session:
        rows = (await session.scalars(select(ApiToken).order_by(ApiToken.id))).all()
    return [_view(row) for row in rows]


async def revoke_token(db: Database, token_id: int, *, actor: str) -> None:
    async with db.transaction() as session:
        result = await session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFoundError(f"no active token with id {token_id}")
        await audit.append(session, actor=actor, action="token.revoke", target=f"token:{token_id}")


def _view(row: ApiToken) -> TokenView:
    return TokenView(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        role=Role(row.role),
        created_by=row.created_by,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
