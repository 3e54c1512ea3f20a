"""Indexes for job search: each filter of the jobs list, then created_at for the newest-first page

A page is ``ORDER BY created_at DESC, id DESC LIMIT n``. An index on (filter column, created_at) hands rows
over in that order, so a page stops after n rows whatever the filter matches; ties on created_at (the same
millisecond) are sorted on the fly (SQLite's sorter for the right part of the ORDER BY, PostgreSQL's
incremental sort). Ending the indexes with id as well read no faster and made every job-record write
dearer (benchmarks/api.py; longer keys). A column with no index of its own is served by walking
created_at backwards and filtering, fine for common values (every priority, a busy host).

(status, job_type) becomes (status, job_type, created_at): it still answers the bulk actions' counts from
the index alone. Text search (``LIKE '%...%'``) can use none of these; see benchmarks/api.py for its cost.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: name -> columns of the indexes this revision adds.
_NEW = {
    "ix_job_records_status": ["status", "created_at"],
    "ix_job_records_job_type": ["job_type", "created_at"],
    "ix_job_records_queue": ["queue", "created_at"],
    "ix_job_records_hostname": ["hostname", "created_at"],
    "ix_job_records_pid": ["pid", "created_at"],
}
_WIDENED = "ix_job_records_status_job_type"


def upgrade() -> None:
    op.drop_index(_WIDENED, table_name="job_records")
    op.create_index(_WIDENED, "job_records", ["status", "job_type", "created_at"])
    for name, columns in _NEW.items():
        op.create_index(name, "job_records", columns)


def downgrade() -> None:
    for name in reversed(_NEW):
        op.drop_index(name, table_name="job_records")
    op.drop_index(_WIDENED, table_name="job_records")
    op.create_index(_WIDENED, "job_records", ["status", "job_type"])
