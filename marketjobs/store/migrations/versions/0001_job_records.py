"""job records and idempotency keys

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from marketjobs.store.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_records",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("job_type", sa.String(128), nullable=False),
        sa.Column("queue", sa.String(128), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer),
        sa.Column("worker_id", sa.String(128)),
        sa.Column("hostname", sa.String(255)),
        sa.Column("pid", sa.Integer),
        sa.Column("parameters", sa.JSON),
        sa.Column("options", sa.JSON),
        sa.Column("result", sa.JSON),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("progress_message", sa.String(500)),
        sa.Column("error", sa.Text),
        sa.Column("traceback", sa.Text),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("retry_of", sa.String(64)),
        sa.Column("retried_as", sa.String(64)),
        sa.Column("eta", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("started_at", UTCDateTime),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_job_records_status_job_type", "job_records", ["status", "job_type"])
    op.create_index("ix_job_records_created_at", "job_records", ["created_at"])
    op.create_index("ix_job_records_cancel_requested", "job_records", ["cancel_requested"])
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("job_type", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_job_records_cancel_requested", "job_records")
    op.drop_index("ix_job_records_created_at", "job_records")
    op.drop_index("ix_job_records_status_job_type", "job_records")
    op.drop_table("job_records")
