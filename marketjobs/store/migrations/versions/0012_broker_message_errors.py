"""Dead letters of the SQL broker keep their error

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

``broker_messages.error``: the error type and message a dead letter died of (redacted), so that
``join(queue, fail_fast=True)`` in another process, and anyone listing dead letters, can say why.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broker_messages") as batch:
        batch.add_column(sa.Column("error", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broker_messages") as batch:
        batch.drop_column("error")
