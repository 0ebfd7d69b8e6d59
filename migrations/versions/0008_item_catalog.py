"""item catalog

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 00:08:39.897654
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in junction.core.db.types.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "catalog_items",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("source_id", BIG_ID, nullable=False),
        sa.Column("item_type", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.String(length=255), nullable=False),
        sa.Column("properties", JSON_DOC, nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["connections.id"],
            name=op.f("fk_catalog_items_source_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_items")),
        sa.UniqueConstraint(
            "source_id",
            "item_type",
            "item_id",
            name=op.f("uq_catalog_items_source_id_item_type_item_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("catalog_items")
