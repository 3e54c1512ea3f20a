"""Indexed text search in job parameters and errors: SQLite FTS5 trigrams, PostgreSQL pg_trgm

The jobs list searches text anywhere in a job's parameters and error (``q=``), which ``LIKE '%...%'`` can
answer only by reading every row: about 2 s at 1,000,000 records (benchmarks/api.py). Trigram indexes
answer any substring of three or more characters from the index.

- SQLite: ``job_records_text``, an FTS5 table with the trigram tokenizer over the parameters and the error,
  external content (it stores only the index; the text stays in ``job_records``), kept in step by
  triggers. The update trigger fires only when the parameters or the error change: status, progress and
  worker updates, most of a record's writes, do not touch it. Rows are matched on ``rowid``, which
  ``VACUUM`` keeps for a table with a primary key of its own (tests/store/test_job_search.py checks it).
- PostgreSQL: GIN ``gin_trgm_ops`` indexes on exactly the expressions the search filters on. ``pg_trgm``
  ships with PostgreSQL and is a trusted extension (a database owner may create it); when it cannot be
  created, the migration says so and goes on without the indexes (search works, reading every row).
- MariaDB has no substring index (its FULLTEXT indexes match words); search there reads every row.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

import logging

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

logger = logging.getLogger(__name__)

#: The SQLite FTS5 table; marketjobs.store.job_search queries it.
SQLITE_TABLE = "job_records_text"

_SQLITE_UP = [
    f"CREATE VIRTUAL TABLE {SQLITE_TABLE} USING fts5(parameters, error, content='job_records', "
    "content_rowid='rowid', tokenize='trigram')",
    f"""CREATE TRIGGER job_records_text_insert AFTER INSERT ON job_records BEGIN
        INSERT INTO {SQLITE_TABLE}(rowid, parameters, error) VALUES (new.rowid, new.parameters, new.error);
    END""",
    f"""CREATE TRIGGER job_records_text_delete AFTER DELETE ON job_records BEGIN
        INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, parameters, error)
        VALUES ('delete', old.rowid, old.parameters, old.error);
    END""",
    f"""CREATE TRIGGER job_records_text_update AFTER UPDATE OF parameters, error ON job_records
    WHEN old.parameters IS NOT new.parameters OR old.error IS NOT new.error BEGIN
        INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, parameters, error)
        VALUES ('delete', old.rowid, old.parameters, old.error);
        INSERT INTO {SQLITE_TABLE}(rowid, parameters, error) VALUES (new.rowid, new.parameters, new.error);
    END""",
    # Index the records stored before this revision.
    f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}) VALUES ('rebuild')",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS job_records_text_update",
    "DROP TRIGGER IF EXISTS job_records_text_delete",
    "DROP TRIGGER IF EXISTS job_records_text_insert",
    f"DROP TABLE IF EXISTS {SQLITE_TABLE}",
]

#: index name -> the expression job_search filters on (the same text, or PostgreSQL will not use it).
_POSTGRES_INDEXES = {
    "ix_job_records_parameters_trgm": "lower(CAST(parameters AS VARCHAR))",
    "ix_job_records_error_trgm": "lower(error)",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_UP:
            op.execute(statement)
    elif dialect == "postgresql":
        _postgres_upgrade()


def _postgres_upgrade() -> None:
    connection = op.get_bind()
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # any refusal: go on without the indexes, and say so
        logger.warning(
            "text search in job records stays unindexed (it reads every row): CREATE EXTENSION pg_trgm "
            "failed (%s); a database owner can run it and then the CREATE INDEX statements of migration "
            "0013 (marketjobs/store/migrations/versions/0013_job_text_search.py)",
            str(exc).splitlines()[0],
        )
        return
    for name, expression in _POSTGRES_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON job_records USING gin ({expression} gin_trgm_ops)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_DOWN:
            op.execute(statement)
    elif dialect == "postgresql":
        for name in _POSTGRES_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
