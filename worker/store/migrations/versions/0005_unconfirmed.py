"""Unconfirmed creates: how many settled searches found no ticket since a create whose answer was lost.

Revision ID: 0003_unconfirmed
Revises: 0003_outbox
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_unconfirmed"
down_revision = "0003_parse_failures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action_items") as batch:
        batch.add_column(sa.Column("absent_checks", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("action_items") as batch:
        batch.drop_column("absent_checks")
