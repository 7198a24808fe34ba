"""State store: postmortems, action items with their tickets, sync runs, owner lookups.

Revision ID: 0001_store
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from worker.store.models import UTCDateTime

revision = "0001_store"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "postmortems",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("identity", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("team", sa.String(200), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("owner", sa.Text()),
        sa.Column("incident_date", sa.Date()),
        sa.Column("severity", sa.String(100)),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary()),
        sa.Column("approved_at", UTCDateTime()),
        sa.Column("ingested_at", UTCDateTime(), nullable=False),
        sa.Column("synced_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("key", name="pk_postmortems"),
    )
    op.create_index("ix_postmortems_team", "postmortems", ["team"])
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("postmortem_key", sa.String(32), nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("owner", sa.Text()),
        sa.Column("due", sa.Date()),
        sa.Column("priority", sa.String(100)),
        sa.Column("kind", sa.String(100)),
        sa.Column("ref", sa.Text()),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("section", sa.Text()),
        sa.Column("tracker", sa.String(20)),
        sa.Column("ticket_key", sa.String(200)),
        sa.Column("ticket_url", sa.Text()),
        sa.Column("create_attempted_at", UTCDateTime()),
        sa.Column("written_title", sa.Text()),
        sa.Column("written_due", sa.Date()),
        sa.Column("written_assignee", sa.String(200)),
        sa.Column("written_priority", sa.String(100)),
        sa.Column("owned_fields", sa.String(100), nullable=False),
        sa.Column("assignee_resolution", sa.String(60)),
        sa.Column("status", sa.String(20)),
        sa.Column("status_name", sa.String(200)),
        sa.Column("ticket_assignee", sa.String(200)),
        sa.Column("ticket_due", sa.Date()),
        sa.Column("ticket_updated", UTCDateTime()),
        sa.Column("status_checked_at", UTCDateTime()),
        sa.Column("removed_at", UTCDateTime()),
        sa.Column("removal_notified", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_action_items"),
        sa.ForeignKeyConstraint(
            ["postmortem_key"],
            ["postmortems.key"],
            ondelete="CASCADE",
            name="fk_action_items_postmortem_key_postmortems",
        ),
        sa.UniqueConstraint("postmortem_key", "fingerprint", name="uq_action_items_pm_fp"),
    )
    op.create_index("ix_action_items_postmortem_key", "action_items", ["postmortem_key"])
    op.create_index("ix_action_items_fingerprint", "action_items", ["fingerprint"])
    op.create_index("ix_action_items_ticket_key", "action_items", ["ticket_key"])
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("postmortem_key", sa.String(32), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("retry_error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_sync_runs"),
        sa.ForeignKeyConstraint(
            ["postmortem_key"],
            ["postmortems.key"],
            ondelete="CASCADE",
            name="fk_sync_runs_postmortem_key_postmortems",
        ),
    )
    op.create_index("ix_sync_runs_postmortem_key", "sync_runs", ["postmortem_key"])
    op.create_table(
        "owner_lookups",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("destination", sa.String(300), nullable=False),
        sa.Column("query", sa.String(500), nullable=False),
        sa.Column("user_id", sa.String(200)),
        sa.Column("outcome", sa.String(300), nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_owner_lookups"),
        sa.UniqueConstraint("destination", "query", name="uq_owner_lookups_dest_query"),
    )


def downgrade() -> None:
    op.drop_table("owner_lookups")
    op.drop_table("sync_runs")
    op.drop_table("action_items")
    op.drop_table("postmortems")
