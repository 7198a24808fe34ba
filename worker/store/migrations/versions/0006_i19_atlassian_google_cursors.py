"""Source cursors: where each document source's polling stands (Drive page token, CQL poll time).

Revision ID: 0006_i19_atlassian_google
Revises: 0003_unconfirmed
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from worker.store.models import UTCDateTime

revision = "0006_i19_atlassian_google"
down_revision = "0003_unconfirmed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_cursors",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("source_cursors")
