"""Set-based writes of many rows, one helper per dialect, used by every bulk writer of the store.

PostgreSQL: rows travel by ``COPY`` into a session-local staging table (``LIKE`` the target, emptied on
commit) and one ``INSERT ... SELECT`` merges them; psycopg's COPY writes rows in C, 3-4x cheaper than
per-row parameters (measured). SQLite and MariaDB: one ``executemany`` of plain tuples per batch (the
driver's C loop on SQLite; PyMySQL folds it into multi-row INSERTs). The merge is an upsert (the row's
non-key columns overwrite the stored ones) or an insert-if-absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

import polars as pl
from sqlalchemy import Connection, Engine

__all__ = [
    "ROWS_PER_BATCH",
    "in_transaction",
    "merge_statement",
    "postgres_stage",
    "write_frame",
]

#: Rows per executemany call; bounds the driver's parameter buffers.
ROWS_PER_BATCH: Final = 20_000


def merge_statement(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    key: Sequence[str],
    *,
    update: bool,
    source: str,
) -> str:
    """``INSERT INTO table (columns) <source>`` that overwrites rows with the same ``key`` (``update``) or
    leaves them alone, spelled for the connection's dialect. ``source`` is ``VALUES (...)`` or a SELECT."""
    quote = connection.dialect.identifier_preparer.quote  # "signal" is reserved on MariaDB
    names = ", ".join(quote(c) for c in columns)
    changes = [quote(c) for c in columns if c not in key]
    if connection.dialect.name in ("mysql", "mariadb"):
        if not update:
            return f"INSERT IGNORE INTO {table} ({names}) {source}"
        sets = ", ".join(f"{c} = VALUES({c})" for c in changes)
        return f"INSERT INTO {table} ({names}) {source} ON DUPLICATE KEY UPDATE {sets}"
    where = " WHERE true" if source.startswith("SELECT") else ""  # SQLite's parser needs it after SELECT
    if not update:
        return f"INSERT INTO {table} ({names}) {source}{where} ON CONFLICT DO NOTHING"
    sets = ", ".join(f"{c} = excluded.{c}" for c in changes)
    conflict = ", ".join(quote(c) for c in key)
    return f"INSERT INTO {table} ({names}) {source}{where} ON CONFLICT ({conflict}) DO UPDATE SET {sets}"


@contextmanager
def postgres_stage(connection: Connection, table: str) -> Iterator[tuple[Any, str]]:
    """(psycopg cursor, name) of a session-local staging table shaped like ``table``, empty on entry.

    COPY rows into it, then merge them with one ``INSERT ... SELECT ... FROM <name>``; it is emptied on
    exit too, since several writes may share one transaction.
    """
    stage = f"marketjobs_{table}_stage"
    cursor: Any = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table}) ON COMMIT DELETE ROWS")
        yield cursor, stage
        cursor.execute(f"DELETE FROM {stage}")
    finally:
        cursor.close()


def write_frame(
    connection: Connection, table: str, rows: pl.DataFrame, key: Sequence[str], *, update: bool
) -> int:
    """Writes ``rows`` (columns named and typed as ``table``'s) with one set-based merge per batch;
    returns the rows the database reports as written (inserted or changed)."""
    columns = tuple(rows.columns)
    if connection.dialect.name == "postgresql":
        quoted = ", ".join(connection.dialect.identifier_preparer.quote(c) for c in columns)
        with postgres_stage(connection, table) as (cursor, stage):
            with cursor.copy(f"COPY {stage} ({quoted}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(rows.write_csv(include_header=False))
            source = f"SELECT {quoted} FROM {stage}"
            cursor.execute(merge_statement(connection, table, columns, key, update=update, source=source))
            return int(cursor.rowcount)
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    source = f"VALUES ({', '.join([marker] * len(columns))})"
    sql = merge_statement(connection, table, columns, key, update=update, source=source)
    written = 0
    for offset in range(0, rows.height, ROWS_PER_BATCH):
        result = connection.exec_driver_sql(sql, rows.slice(offset, ROWS_PER_BATCH).rows())
        written += max(int(result.rowcount), 0)
    return written


def in_transaction(engine: Engine | Connection, write: Callable[[Connection], int]) -> int:
    """``write(connection)`` in a new transaction of ``engine``, or in the given connection's."""
    if isinstance(engine, Engine):
        with engine.begin() as connection:
            return int(write(connection))
    return int(write(engine))
