"""Dialect-aware batched writes of job records that never let an older event overwrite a newer one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, func, insert
from sqlalchemy.dialects import mysql, postgresql, sqlite

from marketjobs.store.models import JobRecord

__all__ = ["insert_missing", "upsert_newer"]

#: Columns set on first insert only; later events never overwrite them.
INSERT_ONLY_COLUMNS = frozenset({"id", "created_at", "cancel_requested", "retried_as"})

_table = JobRecord.__table__


def insert_missing(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts rows whose id is not stored yet and leaves existing rows alone."""
    if not rows:
        return
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(postgresql.insert(_table).on_conflict_do_nothing(index_elements=["id"]), rows)
    elif dialect == "sqlite":
        connection.execute(sqlite.insert(_table).on_conflict_do_nothing(index_elements=["id"]), rows)
    elif dialect in ("mysql", "mariadb"):
        connection.execute(insert(_table).prefix_with("IGNORE"), rows)
    else:
        raise NotImplementedError(f"job records do not support the {dialect} dialect")


def _update_columns(columns: Iterable[str]) -> list[str]:
    # seq goes last: MySQL evaluates assignments left to right and each IF() reads the old seq.
    names = [c for c in columns if c not in INSERT_ONLY_COLUMNS and c != "seq"]
    return [*sorted(names), "seq"]


def upsert_newer(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts rows or updates stored ones whose ``seq`` is not newer than the row's.

    All rows must have the same keys; ``seq`` orders events of one message across processes.
    """
    if not rows:
        return
    columns = _update_columns(rows[0])
    dialect = connection.dialect.name
    if dialect in ("postgresql", "sqlite"):
        module: Any = postgresql if dialect == "postgresql" else sqlite
        stmt = module.insert(_table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={c: stmt.excluded[c] for c in columns},
            where=stmt.excluded.seq >= _table.c.seq,
        )
        connection.execute(stmt, rows)
    elif dialect in ("mysql", "mariadb"):
        mstmt = mysql.insert(_table)
        newer = mstmt.inserted.seq >= _table.c.seq
        mstmt = mstmt.on_duplicate_key_update(
            [(c, func.if_(newer, mstmt.inserted[c], _table.c[c])) for c in columns]
        )
        connection.execute(mstmt, rows)
    else:
        raise NotImplementedError(f"job records do not support the {dialect} dialect")
