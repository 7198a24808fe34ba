"""Follow-up: report sends (the once-per-period ledger), daily history, first-seen resolutions.

Revision ID: 0002_followup
Revises: 0001_store
Create Date: 2026-03-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from worker.store.models import UTCDateTime

revision = "0002_followup"
down_revision = "0001_store"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_sends",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("team", sa.String(200), nullable=False),
        sa.Column("period_start", UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(300), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("detail", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime()),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("team", "period_start", "channel", name="uq_report_sends_team_period_channel"),
    )
    op.create_table(
        "followup_history",
        sa.Column("team", sa.String(200), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("open", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "followup_resolutions",
        sa.Column("ticket_key", sa.String(200), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("followup_resolutions")
    op.drop_table("followup_history")
    op.drop_table("report_sends")
