"""segments and traits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 20:37:57.360807
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in junction.core.db.types.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "computed_trait_definitions",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("definition", JSON_DOC, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_computed_trait_definitions")),
    )
    op.create_table(
        "event_property_definitions",
        sa.Column("event", sa.String(length=200), nullable=False),
        sa.Column("property", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event", "property", name=op.f("pk_event_property_definitions")),
    )
    op.create_table(
        "segments",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("condition", JSON_DOC, nullable=False),
        sa.Column("splits", JSON_DOC, nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("name", name=op.f("uq_segments_name")),
    )
    op.create_table(
        "tag_rules",
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column("condition", JSON_DOC, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tag", name=op.f("pk_tag_rules")),
    )
    op.create_table(
        "trait_definitions",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=8), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_trait_definitions")),
    )
    op.create_table(
        "trait_watermarks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", BIG_ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_trait_watermarks")),
    )
    op.create_table(
        "computed_trait_values",
        sa.Column("profile_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.Column("number_value", sa.Double(), nullable=True),
        sa.Column("time_value", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bool_value", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name=op.f("fk_computed_trait_values_profile_id_profiles"),
        ),
        sa.PrimaryKeyConstraint("profile_id", "name", name=op.f("pk_computed_trait_values")),
    )
    with op.batch_alter_table("computed_trait_values", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_computed_trait_values_name_number_value_profile_id"),
            ["name", "number_value", "profile_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_computed_trait_values_name_text_value_profile_id"),
            ["name", "text_value", "profile_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_computed_trait_values_name_time_value_profile_id"),
            ["name", "time_value", "profile_id"],
            unique=False,
        )

    op.create_table(
        "profile_tags",
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column("profile_id", BIG_ID, nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name=op.f("fk_profile_tags_profile_id_profiles")
        ),
        sa.PrimaryKeyConstraint("tag", "profile_id", "origin", name=op.f("pk_profile_tags")),
    )
    with op.batch_alter_table("profile_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_profile_tags_profile_id"), ["profile_id"], unique=False
        )

    op.create_table(
        "profile_traits",
        sa.Column("profile_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.Column("number_value", sa.Double(), nullable=True),
        sa.Column("time_value", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bool_value", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name=op.f("fk_profile_traits_profile_id_profiles")
        ),
        sa.PrimaryKeyConstraint("profile_id", "name", name=op.f("pk_profile_traits")),
    )
    with op.batch_alter_table("profile_traits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_profile_traits_name_number_value_profile_id"),
            ["name", "number_value", "profile_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_profile_traits_name_text_value_profile_id"),
            ["name", "text_value", "profile_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_profile_traits_name_time_value_profile_id"),
            ["name", "time_value", "profile_id"],
            unique=False,
        )

    op.create_table(
        "segment_memberships",
        sa.Column("segment_id", BIG_ID, nullable=False),
        sa.Column("profile_id", BIG_ID, nullable=False),
        sa.Column("variant", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name=op.f("fk_segment_memberships_profile_id_profiles")
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_memberships_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("segment_id", "profile_id", name=op.f("pk_segment_memberships")),
    )
    op.create_table(
        "segment_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("segment_id", BIG_ID, nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("members", BIG_ID, nullable=False),
        sa.Column("added", BIG_ID, nullable=False),
        sa.Column("removed", BIG_ID, nullable=False),
        sa.Column("moved", BIG_ID, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_segment_runs_segment_id_segments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment_runs")),
    )
    with op.batch_alter_table("segment_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_segment_runs_segment_id_id"), ["segment_id", "id"], unique=False
        )

    op.create_table(
        "event_properties",
        sa.Column("event_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("text_value", sa.Text(), nullable=True),
        sa.Column("number_value", sa.Double(), nullable=True),
        sa.Column("time_value", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bool_value", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_properties_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "name", name=op.f("pk_event_properties")),
    )
    op.create_table(
        "segment_changes",
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("profile_id", BIG_ID, nullable=False),
        sa.Column("before", sa.String(length=40), nullable=True),
        sa.Column("after", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["segment_runs.id"],
            name=op.f("fk_segment_changes_run_id_segment_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "profile_id", name=op.f("pk_segment_changes")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_name_timestamp_profile_id"),
            ["name", "timestamp", "profile_id"],
            unique=False,
        )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_orders_profile_id_created_at_status_amount"),
            ["profile_id", "created_at", "status", "amount"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_profile_id_created_at_status_amount"))

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_name_timestamp_profile_id"))

    op.drop_table("segment_changes")
    op.drop_table("event_properties")
    with op.batch_alter_table("segment_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_segment_runs_segment_id_id"))

    op.drop_table("segment_runs")
    op.drop_table("segment_memberships")
    with op.batch_alter_table("profile_traits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_traits_name_time_value_profile_id"))
        batch_op.drop_index(batch_op.f("ix_profile_traits_name_text_value_profile_id"))
        batch_op.drop_index(batch_op.f("ix_profile_traits_name_number_value_profile_id"))

    op.drop_table("profile_traits")
    with op.batch_alter_table("profile_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_tags_profile_id"))

    op.drop_table("profile_tags")
    with op.batch_alter_table("computed_trait_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_computed_trait_values_name_time_value_profile_id"))
        batch_op.drop_index(batch_op.f("ix_computed_trait_values_name_text_value_profile_id"))
        batch_op.drop_index(batch_op.f("ix_computed_trait_values_name_number_value_profile_id"))

    op.drop_table("computed_trait_values")
    op.drop_table("trait_watermarks")
    op.drop_table("trait_definitions")
    op.drop_table("tag_rules")
    op.drop_table("segments")
    op.drop_table("event_property_definitions")
    op.drop_table("computed_trait_definitions")
