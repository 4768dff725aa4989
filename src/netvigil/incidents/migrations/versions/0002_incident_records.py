"""Incident records a reader can cite: codebook codes, services, recomputed durations, quality
flags, Chinese titles, links between reports of one shutdown; episode origin; evidence files.

Revision ID: 0002_incident_records
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_incident_records"
down_revision = "0001"
branch_labels = None
depends_on = None

CODES = (
    "type_code",
    "extent_code",
    "network_code",
    "scope_code",
    "cause_code",
    "justification_code",
    "ordered_by_code",
)


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        for name in CODES:
            batch_op.add_column(sa.Column(name, sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("services", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("duration_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("quality_flags", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("title_zh", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("same_as_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("link_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("link_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("stop_schema", sa.String(length=20), nullable=True))
        batch_op.create_foreign_key(
            "fk_incidents_same_as_id", "incidents", ["same_as_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index(batch_op.f("ix_incidents_type_code"), ["type_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_scope_code"), ["scope_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_same_as_id"), ["same_as_id"], unique=False)
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.alter_column("services", server_default=None)
        batch_op.alter_column("quality_flags", server_default=None)

    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=20), nullable=False, server_default="editor")
        )
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.alter_column("origin", server_default=None)

    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_type", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("size_bytes", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("verdict", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.alter_column("verdict", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        for name in ("verdict", "size_bytes", "media_type"):
            batch_op.drop_column(name)
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.drop_column("origin")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_same_as_id"))
        batch_op.drop_index(batch_op.f("ix_incidents_scope_code"))
        batch_op.drop_index(batch_op.f("ix_incidents_type_code"))
        batch_op.drop_constraint("fk_incidents_same_as_id", type_="foreignkey")
        for name in (
            *CODES,
            "services",
            "duration_days",
            "quality_flags",
            "title_zh",
            "same_as_id",
            "link_kind",
            "link_reason",
            "stop_schema",
        ):
            batch_op.drop_column(name)
