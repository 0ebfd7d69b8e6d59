"""sync engine

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 20:59:22.269375
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in junction.core.db.types.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "syncs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("connection_id", BIG_ID, nullable=False),
        sa.Column("segment_id", BIG_ID, nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=True),
        sa.Column("identifiers", JSON_DOC, nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=True),
        sa.Column("consent_purpose", sa.String(length=40), nullable=True),
        sa.Column("schedule", sa.String(length=100), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("state", JSON_DOC, nullable=False),
        sa.Column("segment_run_id", BIG_ID, nullable=True),
        sa.Column("consent_watermark", BIG_ID, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"], ["connections.id"], name=op.f("fk_syncs_connection_id_connections")
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"], ["segments.id"], name=op.f("fk_syncs_segment_id_segments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_syncs")),
        sa.UniqueConstraint("name", name=op.f("uq_syncs_name")),
    )
    with op.batch_alter_table("syncs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_syncs_connection_id"), ["connection_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_syncs_segment_id"), ["segment_id"], unique=False)

    op.create_table(
        "sync_operations",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("sync_id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("profile_id", BIG_ID, nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("segment_run_id", BIG_ID, nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("planned_run_id", BIG_ID, nullable=False),
        sa.Column("run_id", BIG_ID, nullable=True),
        sa.Column("batch_seq", sa.Integer(), nullable=True),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["sync_id"],
            ["syncs.id"],
            name=op.f("fk_sync_operations_sync_id_syncs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_operations")),
        sa.UniqueConstraint("key", name=op.f("uq_sync_operations_key")),
    )
    with op.batch_alter_table("sync_operations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_operations_sync_id_profile_id_id"),
            ["sync_id", "profile_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_sync_operations_sync_id_status_id"),
            ["sync_id", "status", "id"],
            unique=False,
        )

    op.create_table(
        "sync_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("sync_id", BIG_ID, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("trigger", sa.String(length=12), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("starts", sa.Integer(), nullable=False),
        sa.Column("from_segment_run", BIG_ID, nullable=True),
        sa.Column("to_segment_run", BIG_ID, nullable=True),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("planned", BIG_ID, nullable=False),
        sa.Column("sent", BIG_ID, nullable=False),
        sa.Column("accepted", BIG_ID, nullable=False),
        sa.Column("rejected", BIG_ID, nullable=False),
        sa.Column("skipped_consent", BIG_ID, nullable=False),
        sa.Column("dead_lettered", BIG_ID, nullable=False),
        sa.Column("unknown", BIG_ID, nullable=False),
        sa.Column("failed", BIG_ID, nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("details", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["sync_id"], ["syncs.id"], name=op.f("fk_sync_runs_sync_id_syncs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_runs_status_id"), ["status", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sync_runs_sync_id_id"), ["sync_id", "id"], unique=False
        )
        batch_op.create_index(
            "uq_sync_runs_one_queued",
            ["sync_id"],
            unique=True,
            sqlite_where=sa.text("status = 'queued'"),
            postgresql_where=sa.text("status = 'queued'"),
        )
        batch_op.create_index(
            "uq_sync_runs_one_running",
            ["sync_id"],
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )

    op.create_table(
        "sync_ticks",
        sa.Column("sync_id", BIG_ID, nullable=False),
        sa.Column("fire_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["sync_id"], ["syncs.id"], name=op.f("fk_sync_ticks_sync_id_syncs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("sync_id", "fire_at", name=op.f("pk_sync_ticks")),
    )
    op.create_table(
        "sync_batches",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=12), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("unknown", sa.Integer(), nullable=False),
        sa.Column("retry", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["sync_runs.id"],
            name=op.f("fk_sync_batches_run_id_sync_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_batches")),
        sa.UniqueConstraint("run_id", "seq", name=op.f("uq_sync_batches_run_id_seq")),
    )
    op.create_table(
        "sync_dead_letters",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("sync_id", BIG_ID, nullable=False),
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("operation_id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("profile_id", BIG_ID, nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replayed_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["sync_operations.id"],
            name=op.f("fk_sync_dead_letters_operation_id_sync_operations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sync_id"],
            ["syncs.id"],
            name=op.f("fk_sync_dead_letters_sync_id_syncs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_dead_letters")),
    )
    with op.batch_alter_table("sync_dead_letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_dead_letters_operation_id"), ["operation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sync_dead_letters_sync_id_id"), ["sync_id", "id"], unique=False
        )

    op.create_table(
        "sync_attempts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("batch_id", BIG_ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("retry_after", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["sync_batches.id"],
            name=op.f("fk_sync_attempts_batch_id_sync_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_attempts")),
        sa.UniqueConstraint("batch_id", "number", name=op.f("uq_sync_attempts_batch_id_number")),
    )


def downgrade() -> None:
    op.drop_table("sync_attempts")
    with op.batch_alter_table("sync_dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_dead_letters_sync_id_id"))
        batch_op.drop_index(batch_op.f("ix_sync_dead_letters_operation_id"))

    op.drop_table("sync_dead_letters")
    op.drop_table("sync_batches")
    op.drop_table("sync_ticks")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_sync_runs_one_running",
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )
        batch_op.drop_index(
            "uq_sync_runs_one_queued",
            sqlite_where=sa.text("status = 'queued'"),
            postgresql_where=sa.text("status = 'queued'"),
        )
        batch_op.drop_index(batch_op.f("ix_sync_runs_sync_id_id"))
        batch_op.drop_index(batch_op.f("ix_sync_runs_status_id"))

    op.drop_table("sync_runs")
    with op.batch_alter_table("sync_operations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_operations_sync_id_status_id"))
        batch_op.drop_index(batch_op.f("ix_sync_operations_sync_id_profile_id_id"))

    op.drop_table("sync_operations")
    with op.batch_alter_table("syncs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_syncs_segment_id"))
        batch_op.drop_index(batch_op.f("ix_syncs_connection_id"))

    op.drop_table("syncs")
