"""Webhook outbox (accepted deliveries, written before the 202) and a version per postmortem.

Revision ID: 0003_outbox
Revises: 0002_followup
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from worker.store.models import UTCDateTime

revision = "0003_outbox"
down_revision = "0002_followup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("delivery", sa.String(64), nullable=False),
        sa.Column("task", sa.String(100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime()),
        sa.Column("finished_at", UTCDateTime()),
        sa.UniqueConstraint("kind", "delivery", name="uq_outbox_kind_delivery"),
    )
    op.create_index("ix_outbox_state", "outbox", ["state"])
    with op.batch_alter_table("postmortems") as batch:
        batch.add_column(sa.Column("version", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("postmortems") as batch:
        batch.drop_column("version")
    op.drop_index("ix_outbox_state", table_name="outbox")
    op.drop_table("outbox")
