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
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
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
    #: Sources only: what happens to events of people without analytics consent
    #: ("keep", "strip" their identifiers, or "drop" them). See junction.core.consent.
    consent_policy: Mapped[str] = mapped_column(String(16), default="keep", server_default="keep")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class WriteKey(Base):
    """A key that lets SDKs send events to a source connection. Stored hashed."""

    __tablename__ = "write_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the key: keys are long random strings, so a fast hash is enough.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters, so admins can tell keys apart without seeing them.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = _created()
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConnectorToken(Base):
    """A connection's platform access token, sealed, shared by every worker process.

    Platforms invalidate the previous token when they issue a new one, so workers
    must not refresh independently: the row is locked while one of them refreshes.
    """

    __tablename__ = "connector_tokens"

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: The token sealed with the hub's key; None until first fetched.
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ApiToken(Base):
    """A bearer token for the REST API, with a role. Stored hashed, shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _created()
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SourceCounter(Base):
    """Daily counters per source (accepted, duplicate, dropped for consent...)."""

    __tablename__ = "source_counters"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(BigId, default=0)


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
    #: The event that first linked this identifier to a profile (the "why").
    message_id: Mapped[str | None] = mapped_column(String(200))
    first_seen_at: Mapped[datetime] = _created()
    last_seen_at: Mapped[datetime] = _created()


class IdentityConflict(Base):
    """A link ID-mapping refused because it would break a per-profile limit."""

    __tablename__ = "identity_conflicts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: The event that asked for the link (not a foreign key: erasure deletes events).
    message_id: Mapped[str | None] = mapped_column(String(200))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("connections.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(64), default="")
    #: As stored in identities.value (hashed for PII).
    value: Mapped[str] = mapped_column(String(512))
    kept_profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    refused_profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id"), index=True)
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = _created()


class IdentityTombstone(Base):
    """An identifier of an erased profile: ID-mapping never links it again."""

    __tablename__ = "identity_tombstones"

    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(512), primary_key=True)
    erased_at: Mapped[datetime] = _created()


class Merge(Base):
    """Two profiles found to be one person, with the evidence that said so."""

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    #: None when both profiles were born in the same ID-mapping batch and so the merged
    #: one was never stored; the evidence still says which event joined them.
    merged_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id"), index=True)
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
        Index(None, "resolution", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("connections.id"))
    message_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    #: The track event's name, or the page/screen name.
    name: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[str | None] = mapped_column(String(255))
    anonymous_id: Mapped[str | None] = mapped_column(String(255))
    #: alias calls: the id the person had before; group calls: the group.
    previous_id: Mapped[str | None] = mapped_column(String(255))
    group_id: Mapped[str | None] = mapped_column(String(255))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id"))
    #: When it happened, corrected for the sender's clock skew (see core.ingest.timing).
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    #: The sender's own timestamp, before correction.
    original_timestamp: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: ID-mapping state: see junction.core.identity.Resolution.
    resolution: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    properties: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    traits: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class Order(Base):
    """An order from an order database or another source."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("source_id", "order_id"),
        Index(None, "updated_at"),
        Index(None, "resolution", "id"),
    )

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
    #: ID-mapping state, as for events (junction.core.identity.Resolution).
    resolution: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")


class CatalogItem(Base):
    """An item of a source's catalog (product, article...): its newest known state."""

    __tablename__ = "catalog_items"
    __table_args__ = (UniqueConstraint("source_id", "item_type", "item_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    item_type: Mapped[str] = mapped_column(String(100))
    item_id: Mapped[str] = mapped_column(String(255))
    properties: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    #: When the source observed this state; an older state never overwrites a newer.
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


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


# --- Traits and segments (junction.core.traits, junction.core.segments) -------------------
#
# Segments filter on typed columns, never on JSON paths inside a condition: the trait
# engine promotes what segments read (profile traits, declared event properties,
# computed traits) into the tables below, so the same plain SQL runs on SQLite and
# PostgreSQL and can use indexes. See docs/segments.md.


class TraitDefinition(Base):
    """A declared profile trait: once any is declared, segments may use only these."""

    __tablename__ = "trait_definitions"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: One of junction.core.traits.TraitType: text, number, time, bool, list.
    type: Mapped[str] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _created()


class EventPropertyDefinition(Base):
    """An event property segments may filter on; promoted into ``event_properties``."""

    __tablename__ = "event_property_definitions"

    event: Mapped[str] = mapped_column(String(200), primary_key=True)
    property: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = _created()


class ComputedTraitDefinition(Base):
    """A computed trait declared as data (event or order aggregate, RFM, lifecycle)."""

    __tablename__ = "computed_trait_definitions"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: A junction.core.traits.ComputedTrait, as JSON.
    definition: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ProfileTrait(Base):
    """One identify trait of a profile, promoted from ``profiles.traits`` into typed columns.

    ``kind`` is the type the value was read as; a string that reads as a timestamp fills
    both ``text_value`` and ``time_value``. A value that does not fit its declared type
    keeps its row (the trait exists) with every typed column empty.
    """

    __tablename__ = "profile_traits"
    __table_args__ = (
        # profile_id last: a condition's subquery is answered from the index alone.
        Index(None, "name", "number_value", "profile_id"),
        Index(None, "name", "text_value", "profile_id"),
        Index(None, "name", "time_value", "profile_id"),
    )

    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    text_value: Mapped[str | None] = mapped_column(Text)
    number_value: Mapped[float | None] = mapped_column(Double)
    time_value: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bool_value: Mapped[bool | None] = mapped_column(Boolean)


class ComputedTraitValue(Base):
    """One computed trait of a profile (same typed columns as ``profile_traits``)."""

    __tablename__ = "computed_trait_values"
    __table_args__ = (
        # profile_id last: a condition's subquery is answered from the index alone.
        Index(None, "name", "number_value", "profile_id"),
        Index(None, "name", "text_value", "profile_id"),
        Index(None, "name", "time_value", "profile_id"),
    )

    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    text_value: Mapped[str | None] = mapped_column(Text)
    number_value: Mapped[float | None] = mapped_column(Double)
    time_value: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bool_value: Mapped[bool | None] = mapped_column(Boolean)


class EventProperty(Base):
    """A declared event property of one event, promoted into typed columns."""

    __tablename__ = "event_properties"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    text_value: Mapped[str | None] = mapped_column(Text)
    number_value: Mapped[float | None] = mapped_column(Double)
    time_value: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bool_value: Mapped[bool | None] = mapped_column(Boolean)


class TraitWatermark(Base):
    """How far an incremental promotion got (profiles by update time, events by id)."""

    __tablename__ = "trait_watermarks"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigId, default=0)
    at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ProfileTag(Base):
    """A tag on a profile, set by a person (``manual``) or by a tag rule (``rule``)."""

    __tablename__ = "profile_tags"
    __table_args__ = (Index(None, "profile_id"),)

    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), primary_key=True)
    origin: Mapped[str] = mapped_column(String(8), primary_key=True)
    created_at: Mapped[datetime] = _created()


class TagRule(Base):
    """A rule-based tag: every profile matching the condition carries the tag."""

    __tablename__ = "tag_rules"

    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    #: A junction.core.segments condition, as JSON.
    condition: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Segment(Base):
    """An audience: a condition over profiles, optionally split into variants."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    #: A junction.core.segments condition, as JSON.
    condition: Mapped[dict[str, Any]] = mapped_column(Json)
    #: A list of junction.core.segments.Split; empty means everyone is activated.
    splits: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    #: Mixed into the variant hash so two segments split the same people differently.
    salt: Mapped[str] = mapped_column(String(64))
    #: A cron expression (UTC) the scheduler recomputes it at; None: on demand only.
    schedule: Mapped[str | None] = mapped_column(String(100))
    #: The newest schedule tick claimed (by one scheduler among many).
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SegmentRun(Base):
    """One computation of a segment: when, as of when, and how the membership moved."""

    __tablename__ = "segment_runs"
    __table_args__ = (Index(None, "segment_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime] = _created()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    members: Mapped[int] = mapped_column(BigId, default=0)
    added: Mapped[int] = mapped_column(BigId, default=0)
    removed: Mapped[int] = mapped_column(BigId, default=0)
    moved: Mapped[int] = mapped_column(BigId, default=0)
    actor: Mapped[str] = mapped_column(String(200))


class SegmentMembership(Base):
    """A profile in a segment's newest snapshot, with its variant (``holdout`` is kept out)."""

    __tablename__ = "segment_memberships"

    segment_id: Mapped[int] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), primary_key=True)
    #: The split variant; empty when the segment has no splits.
    variant: Mapped[str] = mapped_column(String(40), default="")


class SegmentChange(Base):
    """How one profile's membership changed in one run: what the sync engine consumes.

    ``before`` is None for an addition, ``after`` None for a removal; both set means the
    profile moved between variants (a changed split).
    """

    __tablename__ = "segment_changes"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("segment_runs.id", ondelete="CASCADE"), primary_key=True
    )
    profile_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    before: Mapped[str | None] = mapped_column(String(40))
    after: Mapped[str | None] = mapped_column(String(40))


# Segment conditions select events by name and time window, then group by profile: this
# index answers them without touching the table (see bench/segments).
Index(None, Event.name, Event.timestamp, Event.profile_id)
# Order conditions group a window of orders by profile: covering, so SQLite (which walks
# orders in profile order to group them) never reads the table; 5x on bench/segments.
Index(None, Order.profile_id, Order.created_at, Order.status, Order.amount)


# --- Syncs (junction.core.sync) ------------------------------------------------------------
#
# The hub's own tables are the authority for jobs, whatever runs them (DESIGN.md): partial
# unique indexes allow one running and at most one queued run per sync, the primary key of
# ``sync_ticks`` lets one scheduler claim each cron tick, and a run's lease says which
# worker owns it until when. See docs/syncs.md.

_ACTIVE_RUN = "status = 'running'"
_QUEUED_RUN = "status = 'queued'"


class Sync(Base):
    """A pull (source → hub) or push (segment → destination) sync definition."""

    __tablename__ = "syncs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: "pull" or "push".
    kind: Mapped[str] = mapped_column(String(8))
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id"), index=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segments.id"), index=True)
    #: Push only: "mirror", "add_only" or "replace".
    mode: Mapped[str | None] = mapped_column(String(16))
    #: Push only: the identifier types sent, in order of preference.
    identifiers: Mapped[list[str]] = mapped_column(Json, default=list)
    #: Push only: records per call, at most the destination's declared limit.
    batch_size: Mapped[int | None] = mapped_column(Integer)
    #: Push only: members without a "granted" decision for this purpose are left out.
    consent_purpose: Mapped[str | None] = mapped_column(String(40))
    #: A cron expression (croniter), or None for manual runs only.
    schedule: Mapped[str | None] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Pull: the source's last committed checkpoint. Push: the platform audience.
    state: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    #: Push: the segment run whose membership has been planned into the ledger.
    segment_run_id: Mapped[int | None] = mapped_column(BigId)
    #: Push: the newest consent decision (by id) already looked at for withdrawals.
    consent_watermark: Mapped[int] = mapped_column(BigId, default=0)
    #: Message syncs: template, platform template, frequency cap, quiet hours.
    message: Mapped[dict[str, Any] | None] = mapped_column(Json)
    #: A connection that can notify operators (WeCom, Feishu bot) of failed runs.
    notify_connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("connections.id", ondelete="SET NULL")
    )
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SyncRun(Base):
    """One run of a sync: its status, timings, lease and counts."""

    __tablename__ = "sync_runs"
    __table_args__ = (
        Index(None, "sync_id", "id"),
        Index(None, "status", "id"),
        Index(
            "uq_sync_runs_one_running",
            "sync_id",
            unique=True,
            sqlite_where=text(_ACTIVE_RUN),
            postgresql_where=text(_ACTIVE_RUN),
        ),
        Index(
            "uq_sync_runs_one_queued",
            "sync_id",
            unique=True,
            sqlite_where=text(_QUEUED_RUN),
            postgresql_where=text(_QUEUED_RUN),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sync_id: Mapped[int] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"))
    #: queued, running, succeeded, partial (some records failed or were parked), failed.
    status: Mapped[str] = mapped_column(String(12))
    #: "schedule", "manual", "replay" or "api".
    trigger: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(200))
    queued_at: Mapped[datetime] = _created()
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The worker holding the run and until when; another may take it over after that.
    worker: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: How many times a worker started (or took over) this run.
    starts: Mapped[int] = mapped_column(Integer, default=0)
    #: Push: the segment runs the planned changes go from and to.
    from_segment_run: Mapped[int | None] = mapped_column(BigId)
    to_segment_run: Mapped[int | None] = mapped_column(BigId)
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    planned: Mapped[int] = mapped_column(BigId, default=0)
    sent: Mapped[int] = mapped_column(BigId, default=0)
    accepted: Mapped[int] = mapped_column(BigId, default=0)
    rejected: Mapped[int] = mapped_column(BigId, default=0)
    skipped_consent: Mapped[int] = mapped_column(BigId, default=0)
    #: Message runs: sends left out because the person reached the frequency cap.
    skipped_cap: Mapped[int] = mapped_column(BigId, default=0, server_default="0")
    #: Message runs: sends held for quiet hours; a later run sends them.
    deferred: Mapped[int] = mapped_column(BigId, default=0, server_default="0")
    dead_lettered: Mapped[int] = mapped_column(BigId, default=0)
    #: Parked with an unknown outcome: never resent without a person deciding.
    unknown: Mapped[int] = mapped_column(BigId, default=0)
    #: Still failing when the retry budget ran out: retried by the next run.
    failed: Mapped[int] = mapped_column(BigId, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    #: Kind-specific facts (pull: duplicates and checkpoints; push: audience, warnings).
    details: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class SyncBatch(Base):
    """One batch of a run: what was sent in one call, and how it ended."""

    __tablename__ = "sync_batches"
    __table_args__ = (UniqueConstraint("run_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    #: add, remove or replace (push); write (pull).
    operation: Mapped[str] = mapped_column(String(12))
    size: Mapped[int] = mapped_column(Integer)
    #: sending, acked (results recorded), failed.
    status: Mapped[str] = mapped_column(String(12))
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    unknown: Mapped[int] = mapped_column(Integer, default=0)
    retry: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = _created()
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    error: Mapped[str | None] = mapped_column(Text)


class SyncAttempt(Base):
    """One call of a batch to the platform (retries are further attempts)."""

    __tablename__ = "sync_attempts"
    __table_args__ = (UniqueConstraint("batch_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("sync_batches.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: ok, retryable, rate_limited, auth_failed, config_invalid, permanent, unknown, error.
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)
    #: The seconds the platform asked us to wait (Retry-After), if it did.
    retry_after: Mapped[float | None] = mapped_column(Double)


class SyncOperation(Base):
    """The ledger: one membership change of one push sync, and what became of it.

    ``key`` is the deterministic operation id sent to the platform as the member's key:
    the same change always has the same key, so a batch sent again is idempotent, and
    this row shows it was applied once.
    """

    __tablename__ = "sync_operations"
    __table_args__ = (
        Index(None, "sync_id", "status", "id"),
        Index(None, "sync_id", "profile_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sync_id: Mapped[int] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40), unique=True)
    profile_id: Mapped[int] = mapped_column(BigId)
    #: add, remove or replace.
    action: Mapped[str] = mapped_column(String(8))
    #: The segment run the change was planned from.
    segment_run_id: Mapped[int | None] = mapped_column(BigId)
    #: pending, accepted, rejected, unknown, skipped (no consent), superseded.
    status: Mapped[str] = mapped_column(String(12))
    #: The run that planned it and the run (and batch) that settled it.
    planned_run_id: Mapped[int] = mapped_column(BigId)
    run_id: Mapped[int | None] = mapped_column(BigId)
    batch_seq: Mapped[int | None] = mapped_column(Integer)
    #: Times it was handed to the platform (more than one only after retries).
    sends: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SyncDeadLetter(Base):
    """A record a push sync could not deliver, with the reason; replayable by hand."""

    __tablename__ = "sync_dead_letters"
    __table_args__ = (Index(None, "sync_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sync_id: Mapped[int] = mapped_column(ForeignKey("syncs.id", ondelete="CASCADE"))
    run_id: Mapped[int] = mapped_column(BigId)
    operation_id: Mapped[int] = mapped_column(
        ForeignKey("sync_operations.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(40))
    profile_id: Mapped[int] = mapped_column(BigId)
    action: Mapped[str] = mapped_column(String(8))
    #: rejected (by the platform), unprepared (no usable identifier), unknown (parked).
    kind: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = _created()
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replayed_by: Mapped[str | None] = mapped_column(String(200))


class SyncTick(Base):
    """A cron tick claimed by a scheduler: the primary key lets only one claim it."""

    __tablename__ = "sync_ticks"

    sync_id: Mapped[int] = mapped_column(
        ForeignKey("syncs.id", ondelete="CASCADE"), primary_key=True
    )
    fire_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[datetime] = _created()
    #: The run it queued; None when a queued run already covered it (coalesced).
    run_id: Mapped[int | None] = mapped_column(BigId)


class AdminUser(Base):
    """A person who signs in to the web admin: an argon2 password hash and a role."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: argon2id, in the PHC string format (algorithm, parameters, salt and hash).
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _created()
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), index=True
    )
    #: The CSRF token every form of this session must send back.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()
    last_seen_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class LoginThrottle(Base):
    """Failed sign-ins per (user name, client address), for rate limiting logins."""

    __tablename__ = "login_throttle"

    #: SHA-256 of "name\nip", so the table doesn't collect typed-in user names.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = _created()
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
