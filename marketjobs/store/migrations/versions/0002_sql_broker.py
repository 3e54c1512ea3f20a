"""SQL broker: messages, results and rate limits

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_MessageId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_Blob = sa.LargeBinary(16 * 1024 * 1024 - 1)


def upgrade() -> None:
    op.create_table(
        "broker_messages",
        sa.Column("id", _MessageId, primary_key=True, autoincrement=True),
        sa.Column("queue", sa.String(128), nullable=False),
        sa.Column("priority", sa.SmallInteger, nullable=False),
        sa.Column("eta", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("payload", _Blob, nullable=False),
        sa.Column("lease_owner", sa.String(64)),
        sa.Column("lease_expires", sa.BigInteger),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("enqueued_at", sa.BigInteger, nullable=False),
        sa.Column("dead_at", sa.BigInteger),
    )
    op.create_index("ix_broker_messages_next", "broker_messages", ["queue", "state", "priority", "eta", "id"])
    op.create_index("ix_broker_messages_due", "broker_messages", ["queue", "state", "eta"])
    op.create_index("ix_broker_messages_lease", "broker_messages", ["queue", "state", "lease_expires"])
    op.create_index("ix_broker_messages_owner", "broker_messages", ["lease_owner"])
    op.create_table(
        "broker_results",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", _Blob, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_broker_results_expires_at", "broker_results", ["expires_at"])
    op.create_table(
        "broker_rate_limits",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_broker_rate_limits_expires_at", "broker_rate_limits", ["expires_at"])


def downgrade() -> None:
    op.drop_table("broker_rate_limits")
    op.drop_table("broker_results")
    op.drop_index("ix_broker_messages_owner", "broker_messages")
    op.drop_index("ix_broker_messages_lease", "broker_messages")
    op.drop_index("ix_broker_messages_due", "broker_messages")
    op.drop_index("ix_broker_messages_next", "broker_messages")
    op.drop_table("broker_messages")
