"""Arrival sequence: the receiver's own order of a postmortem's stored version, breaking equal times; and
the size of each outbox row's payload, which the outbox's byte cap sums without reading the payloads.

Revision ID: 0006_i18_arrival
Revises: 0006_i19_atlassian_google (re-chained at merge; written against 0003_unconfirmed)
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_i18_arrival"
down_revision = "0006_i19_atlassian_google"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("postmortems") as batch:
        batch.add_column(sa.Column("version_seq", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("payload_bytes", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("payload_bytes")
    with op.batch_alter_table("postmortems") as batch:
        batch.drop_column("version_seq")
