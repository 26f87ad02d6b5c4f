"""Cases: their state, their hash-chained history, and their frozen evidence.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the values as they were at this revision (later revisions alter them by name)
_STATUSES = "'new', 'investigating', 'proposed', 'approved', 'reported', 'closed'"
_KINDS = "'alert', 'transaction', 'party', 'list_entry', 'exposure', 'hit'"


def upgrade() -> None:
    op.create_table(
        "cases",
        # the public id is "C-" and this key in six digits (C-000123)
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=True),
        sa.Column("assignee_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        # the proposal: report or no-report, why, by whom; and who approved it
        sa.Column("decision", sa.String(16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("proposed_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("approved_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        # the FIU's reference once reported
        sa.Column("reference", sa.String(200), nullable=True),
        # grows with every change: a write based on another version is refused
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="status"),
        sa.CheckConstraint("decision IN ('report', 'no-report')", name="decision"),
    )
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_index("ix_cases_assignee_id", "cases", ["assignee_id"])
    op.create_index("ix_cases_due_at", "cases", ["due_at"])
    op.create_table(
        "case_events",
        # one event per change, chained: hash = SHA-256 of the canonical JSON of the case id,
        # seq, time, actor, kind, payload and prev (the previous event's hash)
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("case_id", "seq"),
    )
    op.create_table(
        "case_evidence",
        # frozen when added: canonical JSON and its SHA-256, never changed afterwards
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(500), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.CheckConstraint(f"kind IN ({_KINDS})", name="kind"),
        sa.UniqueConstraint("case_id", "kind", "key"),
    )


def downgrade() -> None:
    op.drop_table("case_evidence")
    op.drop_table("case_events")
    op.drop_index("ix_cases_due_at", "cases")
    op.drop_index("ix_cases_assignee_id", "cases")
    op.drop_index("ix_cases_status", "cases")
    op.drop_table("cases")
