"""message syncs, operator notifications, segment schedules

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 23:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in junction.core.db.types.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Batch mode: SQLite can't add a foreign key in place (the table is copied).
    with op.batch_alter_table("syncs") as batch:
        batch.add_column(sa.Column("message", JSON_DOC, nullable=True))
        batch.add_column(sa.Column("notify_connection_id", BIG_ID, nullable=True))
        batch.create_foreign_key(
            "fk_syncs_notify_connection_id_connections",
            "connections",
            ["notify_connection_id"],
            ["id"],
            ondelete="SET NULL",
        )
    # Plain ADD COLUMN (with a constant default) works on both databases in place.
    op.add_column("sync_runs", sa.Column("skipped_cap", BIG_ID, server_default="0", nullable=False))
    op.add_column("sync_runs", sa.Column("deferred", BIG_ID, server_default="0", nullable=False))
    op.add_column("segments", sa.Column("schedule", sa.String(length=100), nullable=True))
    op.add_column("segments", sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("segments", "scheduled_at")
    op.drop_column("segments", "schedule")
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("deferred")
        batch.drop_column("skipped_cap")
    with op.batch_alter_table("syncs") as batch:
        batch.drop_constraint("fk_syncs_notify_connection_id_connections", type_="foreignkey")
        batch.drop_column("notify_connection_id")
        batch.drop_column("message")
