"""Users and their roles: who may open, work, propose and approve cases.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        # an integer key, so the cases, events and evidence of later revisions refer to a user
        # by a foreign key that survives nothing but the user (names are never reused)
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        # the name folded (NFC, casefold): "Alice" and "alice" are one user
        sa.Column("name_key", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        # argon2id, in its PHC string form; None: the user has no password (CLI-only use)
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('analyst', 'reviewer', 'admin')", name="role"),
        sa.UniqueConstraint("name_key"),
    )


def downgrade() -> None:
    op.drop_table("users")
