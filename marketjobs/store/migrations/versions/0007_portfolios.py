"""Portfolios, positions and analysis reports

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portfolios",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("benchmark", sa.String(32)),
        sa.Column("base_currency", sa.String(3), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "portfolio_positions",
        sa.Column(
            "portfolio",
            sa.String(64),
            sa.ForeignKey("portfolios.name", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("symbol", sa.String(32), primary_key=True),
        sa.Column("quantity", sa.Double, nullable=False),
        sa.Column("average_price", sa.Double, nullable=False),
        sa.Column("opened_at", sa.BigInteger),
    )
    op.create_table(
        "portfolio_reports",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("portfolio", sa.String(64)),
        sa.Column("job_id", sa.String(64)),
        sa.Column("as_of", sa.BigInteger, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_portfolio_reports_portfolio_created_at", "portfolio_reports", ["portfolio", "created_at"]
    )


def downgrade() -> None:
    op.drop_table("portfolio_reports")
    op.drop_table("portfolio_positions")
    op.drop_table("portfolios")
