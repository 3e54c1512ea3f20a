"""Paused queues

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_pauses",
        sa.Column("queue", sa.String(128), primary_key=True),
        sa.Column("paused_at", sa.BigInteger, nullable=False),
        sa.Column("paused_by", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("queue_pauses")
