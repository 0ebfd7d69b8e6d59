"""connector tokens

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 23:04:21.819721
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in junction.core.db.types.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "connector_tokens",
        sa.Column("connection_id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_connector_tokens_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "key", name=op.f("pk_connector_tokens")),
    )


def downgrade() -> None:
    op.drop_table("connector_tokens")
