"""Issue 17: per-item sync outcomes, postmortem identities, store facts (the sweep cutoff), update attempts.

Revision ID: 0006_i17_outcomes
Revises: 0008_i18_dashboard (re-chained at merge; written against 0003_unconfirmed)
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from worker.store.models import UTCDateTime

revision = "0006_i17_outcomes"
down_revision = "0007_i18_dashboard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_outcomes",
        sa.Column("postmortem_key", sa.String(12), nullable=False),
        sa.Column("fingerprint", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("permanent", sa.Boolean(), nullable=False),
        sa.Column("config_digest", sa.String(64), nullable=False),
        sa.Column("ticket_ref", sa.String(300)),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("postmortem_key", "fingerprint", name="pk_item_outcomes"),
    )
    op.create_table(
        "postmortem_identities",
        sa.Column("identity", sa.String(700), nullable=False),
        sa.Column("postmortem_key", sa.String(12), nullable=False),
        sa.Column("explicit", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("identity", name="pk_postmortem_identities"),
    )
    op.create_index("ix_postmortem_identities_postmortem_key", "postmortem_identities", ["postmortem_key"])
    op.create_table(
        "store_facts",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_store_facts"),
    )


    op.create_table(
        "update_attempts",
        sa.Column("postmortem_key", sa.String(12), nullable=False),
        sa.Column("fingerprint", sa.String(16), nullable=False),
        sa.Column("ticket_key", sa.String(200), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("postmortem_key", "fingerprint", name="pk_update_attempts"),
    )

    op.create_table(
        "history_skipped",
        sa.Column("source", sa.String(700), nullable=False),
        sa.Column("approved_at", UTCDateTime()),
        sa.Column("skipped_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_history_skipped"),
    )


def downgrade() -> None:
    op.drop_table("history_skipped")
    op.drop_table("update_attempts")
    op.drop_table("store_facts")
    op.drop_index("ix_postmortem_identities_postmortem_key", "postmortem_identities")
    op.drop_table("postmortem_identities")
    op.drop_table("item_outcomes")
