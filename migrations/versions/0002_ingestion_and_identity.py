"""ingestion and identity

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 20:23:15.261355
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in junction.core.db.types.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "identity_tombstones",
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("type", "scope", "value", name=op.f("pk_identity_tombstones")),
    )
    op.create_table(
        "identity_conflicts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("source_id", BIG_ID, nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.Column("kept_profile_id", BIG_ID, nullable=False),
        sa.Column("refused_profile_id", BIG_ID, nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["kept_profile_id"],
            ["profiles.id"],
            name=op.f("fk_identity_conflicts_kept_profile_id_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["refused_profile_id"],
            ["profiles.id"],
            name=op.f("fk_identity_conflicts_refused_profile_id_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["connections.id"],
            name=op.f("fk_identity_conflicts_source_id_connections"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_conflicts")),
    )
    with op.batch_alter_table("identity_conflicts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_conflicts_kept_profile_id"), ["kept_profile_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_identity_conflicts_refused_profile_id"),
            ["refused_profile_id"],
            unique=False,
        )

    op.create_table(
        "source_counters",
        sa.Column("source_id", BIG_ID, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("count", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["connections.id"],
            name=op.f("fk_source_counters_source_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "day", "name", name=op.f("pk_source_counters")),
    )
    op.create_table(
        "write_keys",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("connection_id", BIG_ID, nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_write_keys_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_write_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_write_keys_key_hash")),
    )
    with op.batch_alter_table("write_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_write_keys_connection_id"), ["connection_id"], unique=False
        )

    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consent_policy", sa.String(length=16), server_default="keep", nullable=False)
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("resolution", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_orders_resolution_id"), ["resolution", "id"], unique=False
        )

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("group_id", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("original_timestamp", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("resolution", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_events_resolution_id"), ["resolution", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_resolution_id"))
        batch_op.drop_column("resolution")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_resolution_id"))
        batch_op.drop_column("resolution")
        batch_op.drop_column("original_timestamp")
        batch_op.drop_column("group_id")
        batch_op.drop_column("previous_id")

    with op.batch_alter_table("connections", schema=None) as batch_op:
        batch_op.drop_column("consent_policy")

    with op.batch_alter_table("write_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_write_keys_connection_id"))

    op.drop_table("write_keys")
    op.drop_table("source_counters")
    with op.batch_alter_table("identity_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_conflicts_refused_profile_id"))
        batch_op.drop_index(batch_op.f("ix_identity_conflicts_kept_profile_id"))

    op.drop_table("identity_conflicts")
    op.drop_table("identity_tombstones")
    op.drop_table("api_tokens")
