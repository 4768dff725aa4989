"""Server-side session versions: a user's cookies stop working when it changes (audit M6).

A session cookie carries the user's ``session_version`` at login; logout, a password reset, a
role change and disabling the account increment it, so every cookie issued before is refused.

Revision ID: 0005_user_sessions
Revises: 0004_notify
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_user_sessions"
down_revision = "0004_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
