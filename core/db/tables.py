"""The hub's tables (SQLAlchemy 2 declarative).

The schema changes only through alembic revisions in migrations/versions;
tests/core/db/test_migrations.py fails when these models and the migrated schema differ.
Rows never go on the wire: APIs map them to msgspec Structs.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from junction.core.db.types import BigId, Json, UTCDateTime, utcnow

# Named constraints so migrations can alter and drop them identically on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _created() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), default=utcnow)


class Connection(Base):
    """A configured plugin instance: a source or a destination with its credentials."""

    __tablename__ = "connections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    plugin: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    #: The plugin's config without its secret fields.
    config: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    #: The secret fields as one AEAD ciphertext (see junction.core.secrets); never shown.
    secrets: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: Names of the fields sealed in ``secrets`` (names are not secret; values are).
    secrets_set: Mapped[list[str]] = mapped_column(Json, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Profile(Base):
    """One person, as far as the hub can tell from the identifiers it has seen."""

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    traits: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    #: Per-trait timestamps (ISO 8601) for last-write-wins merging.
    trait_updated_at: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    #: Set when this profile was merged into another; the survivor holds its identities.
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("profiles.id"), index=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Identity(Base):
    """An identifier linked to a profile. PII values are stored hashed plus encrypted."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("type", "scope", "value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    #: WeChat app id for openids; empty for unscoped types.
    scope: Mapped[str] = mapped_column(String(64), default="")
    #: The raw value, or its SHA-256 hex digest when ``hashed``.
    value: Mapped[str] = mapped_column(String(512))
    hashed: Mapped[bool] = mapped_column(Boolean, default=False)
    value_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="SET NULL"))
    first_seen_at: Mapped[datetime] = _created()
    last_seen_at: Mapped[datetime] = _created()


class Merge(Base):
    """Two profiles found to be one person, with the evidence that said so."""

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    #: The event (message id) and identifiers that linked the two profiles.
    evidence: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = _created()


class Event(Base):
    """A behavioural event as received (Segment spec), deduplicated per source."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("source_id", "message_id"),
        Index(None, "profile_id", "name", "timestamp"),
        Index(None, "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("connections.id"))
    message_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    #: The track event's name, or the page/screen name.
    name: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[str | None] = mapped_column(String(255))
    anonymous_id: Mapped[str | None] = mapped_column(String(255))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id"))
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    properties: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    traits: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class Order(Base):
    """An order from an order database or another source."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("source_id", "order_id"), Index(None, "updated_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("connections.id"))
    order_id: Mapped[str] = mapped_column(String(128))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    currency: Mapped[str] = mapped_column(String(3))
    #: The customer identifiers as the source gave them (before resolution).
    identifiers: Mapped[list[dict[str, str]]] = mapped_column(Json, default=list)
    properties: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(128))
    name: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(18, 4))


class Consent(Base):
    """One consent decision. Rows are only added: withdrawal is history, not an update."""

    __tablename__ = "consents"
    __table_args__ = (Index(None, "profile_id", "purpose", "recorded_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"))
    purpose: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    policy_version: Mapped[str | None] = mapped_column(String(64))


class AuditEntry(Base):
    """An append-only, hash-chained record of a change, login, manual run or export."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str | None] = mapped_column(String(300))
    #: Redacted details: secrets never reach this column.
    details: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The newest entry of the audit chain, so deleting the last rows is detected too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigId)
    hash: Mapped[str] = mapped_column(String(64))
