"""Parse failures: documents the parser refused, so the sweep stops re-queueing them.

Revision ID: 0003_parse_failures
Revises: 0003_outbox (re-chained after main merged 0003_outbox; written against 0002_followup)
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from worker.store.models import UTCDateTime

revision = "0003_parse_failures"
down_revision = "0003_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parse_failures",
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", UTCDateTime(), nullable=False),
        sa.Column("last_failed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_parse_failures"),
    )


def downgrade() -> None:
    op.drop_table("parse_failures")
