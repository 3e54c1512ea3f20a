"""Alert rules and firings

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(128), nullable=False, unique=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("rule_type", sa.String(32), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("sinks", sa.JSON, nullable=False),
        sa.Column("webhook_url", sa.String(2000)),
        sa.Column("cooldown_seconds", sa.Integer, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "alert_firings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("rule_id", sa.Integer, sa.ForeignKey("alert_rules.id", ondelete="CASCADE"), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("bar_ts", sa.BigInteger, nullable=False),
        sa.Column("message", sa.String(500), nullable=False),
        sa.Column("value", sa.Double),
        sa.Column("sink", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("delivered_at", sa.BigInteger),
        sa.UniqueConstraint(
            "rule_id", "symbol", "bar_ts", "sink", name="uq_alert_firings_rule_symbol_bar_sink"
        ),
    )
    op.create_index("ix_alert_firings_status", "alert_firings", ["status"])
    op.create_index("ix_alert_firings_created_at", "alert_firings", ["created_at"])


def downgrade() -> None:
    op.drop_table("alert_firings")
    op.drop_table("alert_rules")
