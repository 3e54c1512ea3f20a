"""Statements whose spelling differs per database: insert-or-ignore and insert-or-update of one row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import mysql, postgresql, sqlite

__all__ = ["insert_ignore", "upsert"]


def _insert(connection: Connection, table: Table) -> Any:
    name = connection.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name in ("mysql", "mariadb"):
        return mysql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"marketjobs does not support {name}; use SQLite, PostgreSQL or MariaDB")


def insert_ignore(connection: Connection, table: Table, values: dict[str, Any]) -> bool:
    """Inserts ``values`` unless a row with the same primary key exists; True when it inserted."""
    statement = _insert(connection, table).values(**values)
    if connection.dialect.name in ("mysql", "mariadb"):
        # INSERT IGNORE affects 0 rows when the key exists (ON DUPLICATE KEY UPDATE would report a found
        # row as affected: SQLAlchemy connects with CLIENT.FOUND_ROWS).
        return int(connection.execute(statement.prefix_with("IGNORE")).rowcount) == 1
    # rowcount of an INSERT is not reliable through every driver; RETURNING says whether a row went in.
    key_column = table.primary_key.columns[0]
    statement = statement.on_conflict_do_nothing().returning(key_column)
    return connection.execute(statement).first() is not None


def upsert(connection: Connection, table: Table, values: dict[str, Any]) -> None:
    """Inserts ``values``, or overwrites the row with the same primary key."""
    statement = _insert(connection, table).values(**values)
    keys = {c.name for c in table.primary_key.columns}
    changes = {k: v for k, v in values.items() if k not in keys}
    if connection.dialect.name in ("mysql", "mariadb"):
        connection.execute(statement.on_duplicate_key_update(changes))
    else:
        connection.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes))
