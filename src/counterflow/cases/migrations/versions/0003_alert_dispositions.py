"""Alert dispositions: dismissals of alerts outside cases, and their reopening.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_dispositions",
        # append-only: an alert's disposition is its latest row (dismissed, or reopened)
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(40), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        # the alert as it was decided on: its transactions (canonical JSON list) and score
        sa.Column("tx_ids", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.CheckConstraint("action IN ('dismiss', 'reopen')", name="action"),
    )
    op.create_index("ix_alert_dispositions_alert_id", "alert_dispositions", ["alert_id"])
    # an alert's cases are found by its key (GET /alerts joins every listed alert)
    op.create_index("ix_case_evidence_kind_key", "case_evidence", ["kind", "key"])


def downgrade() -> None:
    op.drop_index("ix_case_evidence_kind_key", "case_evidence")
    op.drop_index("ix_alert_dispositions_alert_id", "alert_dispositions")
    op.drop_table("alert_dispositions")
