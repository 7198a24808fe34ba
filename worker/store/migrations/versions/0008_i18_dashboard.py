"""Dashboard access: the token generated on first start, and the random, revocable session cookies.

Revision ID: 0007_i18_dashboard
Revises: 0006_i18_arrival
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from worker.store.models import UTCDateTime

revision = "0007_i18_dashboard"
down_revision = "0006_i18_arrival"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "dashboard_sessions",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("token_id", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dashboard_sessions")
    op.drop_table("service_secrets")
