"""Indexed text search in job parameters and errors: SQLite FTS5 trigrams, PostgreSQL pg_trgm

The jobs list searches text anywhere in a job's parameters and error (``q=``), which ``LIKE '%...%'`` can
answer only by reading every row: about 2 s at 1,000,000 records (benchmarks/api.py). Trigram indexes
answer any substring of three or more characters from the index.

- SQLite: ``job_records_text``, an FTS5 table with the trigram tokenizer over the parameters and the error,
  external content (it stores only the index; the text stays in ``job_records``), kept in step by
  triggers. The update trigger fires only when the parameters or the error change: status, progress and
  worker updates, most of a record's writes, do not touch it. Rows are matched on ``rowid``, which
  ``VACUUM`` keeps for a table with a primary key of its own (tests/store/test_job_search.py checks it).
- PostgreSQL: ``job_records_text`` holds each record's parameters and error in lower case, with GIN
  ``gin_trgm_ops`` indexes, kept in step by statement-level triggers (one INSERT ... SELECT per batch of
  records written) that copy only rows whose parameters or error changed. GIN indexes on ``job_records``
  itself would be written again by every status update (PostgreSQL writes a new entry into every index of
  a row that is updated unless it is a HOT update, which the status index rules out): measured, 61 -> 77-90
  us per job-record event, against 64-68 us with this table. ``pg_trgm`` ships with PostgreSQL and is a
  trusted extension (a database owner may create it); when it cannot be created, the migration says so and
  goes on without the GIN indexes (search works, reading every row of the table).
- SQLite before 3.34 has no trigram tokenizer: there the migration says so and makes no table, and search
  reads every row (marketjobs.store.job_search looks for the table).
- MariaDB has no substring index (its FULLTEXT indexes match words); search there reads every row.

A later migration must not recreate ``job_records`` (``batch_alter_table`` does on SQLite, which this
project's migrations use): that would drop the triggers and renumber the rowids the FTS5 index refers to.
Such a migration drops ``job_records_text`` and its triggers first and creates them again after (with a
``rebuild``), as this one does.

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

#: The text-search table (SQLite: FTS5; PostgreSQL: a plain table); marketjobs.store.job_search queries it.
TEXT_TABLE = "job_records_text"

_SQLITE_UP = [
    f"CREATE VIRTUAL TABLE {TEXT_TABLE} USING fts5(parameters, error, content='job_records', "
    "content_rowid='rowid', tokenize='trigram')",
    f"""CREATE TRIGGER job_records_text_insert AFTER INSERT ON job_records BEGIN
        INSERT INTO {TEXT_TABLE}(rowid, parameters, error) VALUES (new.rowid, new.parameters, new.error);
    END""",
    f"""CREATE TRIGGER job_records_text_delete AFTER DELETE ON job_records BEGIN
        INSERT INTO {TEXT_TABLE}({TEXT_TABLE}, rowid, parameters, error)
        VALUES ('delete', old.rowid, old.parameters, old.error);
    END""",
    f"""CREATE TRIGGER job_records_text_update AFTER UPDATE OF parameters, error ON job_records
    WHEN old.parameters IS NOT new.parameters OR old.error IS NOT new.error BEGIN
        INSERT INTO {TEXT_TABLE}({TEXT_TABLE}, rowid, parameters, error)
        VALUES ('delete', old.rowid, old.parameters, old.error);
        INSERT INTO {TEXT_TABLE}(rowid, parameters, error) VALUES (new.rowid, new.parameters, new.error);
    END""",
    # Index the records stored before this revision.
    f"INSERT INTO {TEXT_TABLE}({TEXT_TABLE}) VALUES ('rebuild')",
]
_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS job_records_text_update",
    "DROP TRIGGER IF EXISTS job_records_text_delete",
    "DROP TRIGGER IF EXISTS job_records_text_insert",
    f"DROP TABLE IF EXISTS {TEXT_TABLE}",
]

_POSTGRES_UP = [
    f"""CREATE TABLE {TEXT_TABLE} (
        id VARCHAR(64) PRIMARY KEY REFERENCES job_records (id) ON DELETE CASCADE,
        parameters TEXT,
        error TEXT
    )""",
    f"""CREATE OR REPLACE FUNCTION job_records_text_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {TEXT_TABLE} (id, parameters, error)
        SELECT id, lower(parameters::text), lower(error) FROM inserted
        ON CONFLICT (id) DO UPDATE SET parameters = EXCLUDED.parameters, error = EXCLUDED.error;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION job_records_text_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO {TEXT_TABLE} (id, parameters, error)
        SELECT n.id, lower(n.parameters::text), lower(n.error) FROM updated n JOIN previous o ON o.id = n.id
        WHERE o.parameters::text IS DISTINCT FROM n.parameters::text OR o.error IS DISTINCT FROM n.error
        ON CONFLICT (id) DO UPDATE SET parameters = EXCLUDED.parameters, error = EXCLUDED.error;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER job_records_text_insert AFTER INSERT ON job_records REFERENCING NEW TABLE AS inserted "
    "FOR EACH STATEMENT EXECUTE FUNCTION job_records_text_inserted()",
    "CREATE TRIGGER job_records_text_update AFTER UPDATE ON job_records "
    "REFERENCING OLD TABLE AS previous NEW TABLE AS updated "
    "FOR EACH STATEMENT EXECUTE FUNCTION job_records_text_updated()",
    # The records stored before this revision.
    f"INSERT INTO {TEXT_TABLE} (id, parameters, error) "
    "SELECT id, lower(parameters::text), lower(error) FROM job_records",
]
_POSTGRES_INDEXES = [
    f"CREATE INDEX ix_{TEXT_TABLE}_parameters ON {TEXT_TABLE} USING gin (parameters gin_trgm_ops)",
    f"CREATE INDEX ix_{TEXT_TABLE}_error ON {TEXT_TABLE} USING gin (error gin_trgm_ops)",
]
_POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS job_records_text_update ON job_records",
    "DROP TRIGGER IF EXISTS job_records_text_insert ON job_records",
    "DROP FUNCTION IF EXISTS job_records_text_updated()",
    "DROP FUNCTION IF EXISTS job_records_text_inserted()",
    f"DROP TABLE IF EXISTS {TEXT_TABLE}",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_upgrade()
    elif dialect == "postgresql":
        _postgres_upgrade()


def _sqlite_upgrade() -> None:
    connection = op.get_bind()
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(_SQLITE_UP[0])
    except Exception as exc:  # SQLite before 3.34 has no trigram tokenizer: search reads every row there
        logger.warning(
            "text search in job records stays unindexed (it reads every row): SQLite %s cannot create an "
            "FTS5 trigram table (%s); SQLite 3.34 or newer can",
            connection.dialect.dbapi.sqlite_version if connection.dialect.dbapi else "?",
            str(exc).splitlines()[0],
        )
        return
    for statement in _SQLITE_UP[1:]:
        op.execute(statement)


def _postgres_upgrade() -> None:
    for statement in _POSTGRES_UP:
        op.execute(statement)
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
    for statement in _POSTGRES_INDEXES:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in _SQLITE_DOWN:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in _POSTGRES_DOWN:
            op.execute(statement)
