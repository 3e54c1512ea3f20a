"""Latest indicator snapshot per symbol and signal events

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_snapshots",
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("close", sa.Double),
        sa.Column("indicator_values", sa.JSON, nullable=False),
        sa.Column("previous_values", sa.JSON),
        sa.Column("job_id", sa.String(64)),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "signals",
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("signal", sa.String(64), primary_key=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("value", sa.Double),
        sa.Column("job_id", sa.String(64)),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_signals_created_at", "signals", ["created_at"])
    op.create_index("ix_signals_ts", "signals", ["ts"])


def downgrade() -> None:
    op.drop_table("signals")
    op.drop_table("indicator_snapshots")
