"""Dialect-aware batched writes of job records that never let an older event overwrite a newer one.

Job records are the hot path of the job system (two writes per job), so statements are compiled once per
column set and rows go out as multi-row INSERTs of plain values, skipping SQLAlchemy's per-row bind
processing (measured on this machine: ~37 → ~15 µs a row on SQLite, ~55 → ~20 µs on PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Connection, Dialect, Table, func, insert
from sqlalchemy.dialects import mysql, postgresql, sqlite

from marketjobs.store.bulk import postgres_stage
from marketjobs.store.models import JobRecord
from marketjobs.store.types import UTCDateTime

__all__ = ["insert_missing", "upsert_newer"]

#: Columns set on first insert only; later events never overwrite them.
INSERT_ONLY_COLUMNS = frozenset({"id", "created_at", "cancel_requested", "retried_as"})

_table = cast(Table, JobRecord.__table__)
_JSON_COLUMNS = frozenset(c.name for c in _table.columns if c.type.__class__.__name__ == "JSON")


def _update_columns(columns: Iterable[str]) -> list[str]:
    # seq goes last: MySQL evaluates assignments left to right and each IF() reads the old seq.
    names = [c for c in columns if c not in INSERT_ONLY_COLUMNS and c != "seq"]
    return [*sorted(names), "seq"]


def _statement(dialect: str, columns: tuple[str, ...], insert_only: bool) -> Any:
    if dialect in ("postgresql", "sqlite"):
        module: Any = postgresql if dialect == "postgresql" else sqlite
        stmt = module.insert(_table)
        if insert_only:
            return stmt.on_conflict_do_nothing(index_elements=["id"])
        updates = _update_columns(columns)
        return stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={c: stmt.excluded[c] for c in updates},
            where=stmt.excluded.seq >= _table.c.seq,
        )
    if dialect in ("mysql", "mariadb"):
        if insert_only:
            return insert(_table).prefix_with("IGNORE")
        mstmt = mysql.insert(_table)
        newer = mstmt.inserted.seq >= _table.c.seq
        return mstmt.on_duplicate_key_update(
            [(c, func.if_(newer, mstmt.inserted[c], _table.c[c])) for c in _update_columns(columns)]
        )
    raise NotImplementedError(
        f"job records do not support the {dialect} dialect; use SQLite, PostgreSQL or MariaDB"
    )


#: Rows per multi-row INSERT statement (16 columns x 500 stays far below every driver's parameter limit).
ROWS_PER_STATEMENT = 500


@lru_cache(maxsize=16)
def _positional_dialect(dialect: Dialect) -> Dialect:
    # psycopg and PyMySQL compile named parameters by default; a positional twin lets a VALUES group repeat.
    if not dialect.positional:
        positional: Dialect = cast(Any, type(dialect))(paramstyle="format")
        return positional
    return dialect


@lru_cache(maxsize=256)
def _compiled(
    dialect: Dialect, columns: tuple[str, ...], insert_only: bool
) -> tuple[str, str, str, list[str]]:
    """(head, one VALUES group, tail, parameter order) of the statement for ``columns``."""
    stmt = _statement(dialect.name, columns, insert_only)
    compiled = stmt.compile(dialect=_positional_dialect(dialect), column_keys=list(columns))
    sql = compiled.string
    start = sql.index(" VALUES (") + len(" VALUES ")
    end = sql.index(")", start) + 1
    order = [compiled.binds[name].key for name in compiled.positiontup or ()]
    return sql[:start], sql[start:end], sql[end:], order


#: Smallest batch worth PostgreSQL's COPY path (four round trips); smaller ones go as one multi-row INSERT.
PG_COPY_MIN_ROWS = 64


def _copy_then_insert(
    connection: Connection, rows: Sequence[dict[str, Any]], plan: list[Any], head: str, tail: str
) -> None:
    # psycopg's COPY writes rows in C; per-row parameters or arrays cost 3-4x more (measured).
    columns = ", ".join(c for c, _ in plan)
    with postgres_stage(connection, _table.name) as (cursor, stage):
        with cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] if f is None else f(row[c]) for c, f in plan])
        cursor.execute(head.replace(" VALUES ", " ") + f"SELECT {columns} FROM {stage}" + tail)


_encode_json = json.JSONEncoder(separators=(",", ":"), default=str).encode


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime in a job record; pass an aware datetime (e.g. utcnow())")
    return value.astimezone(UTC).replace(tzinfo=None)


def _json_value(value: Any) -> Any:
    return None if value is None else _encode_json(value)


def _datetime_value(value: Any) -> Any:
    return None if value is None else _utc(value)


def _datetime_text(value: Any) -> Any:
    # SQLAlchemy's SQLite DateTime storage format, microseconds always present.
    return None if value is None else _utc(value).isoformat(" ", "microseconds")


def _converters(columns: Sequence[str], sqlite_text: bool) -> list[Any]:
    datetime_columns = {c.name for c in _table.columns if isinstance(c.type, UTCDateTime)}
    out: list[Any] = []
    for name in columns:
        if name in _JSON_COLUMNS:
            out.append(_json_value)
        elif name in datetime_columns:
            out.append(_datetime_text if sqlite_text else _datetime_value)
        else:
            out.append(None)
    return out


def _execute(connection: Connection, rows: Sequence[dict[str, Any]], insert_only: bool) -> None:
    if not rows:
        return
    head, group, tail, order = _compiled(connection.dialect, tuple(sorted(rows[0])), insert_only)
    plan = list(zip(order, _converters(order, connection.dialect.name == "sqlite"), strict=True))
    if connection.dialect.name == "postgresql":
        # Acks wait for these commits (see jobs/records.py): skip the WAL fsync per commit. A crash of the
        # PostgreSQL server itself may lose the last moments of records; a killed worker loses nothing.
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        if len(rows) > PG_COPY_MIN_ROWS:
            _copy_then_insert(connection, rows, plan, head, tail)
            return
    for offset in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[offset : offset + ROWS_PER_STATEMENT]
        params = [row[c] if f is None else f(row[c]) for row in chunk for c, f in plan]
        sql = head + ", ".join([group] * len(chunk)) + tail
        connection.exec_driver_sql(sql, tuple(params))


def insert_missing(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts rows whose id is not stored yet and leaves existing rows alone (rows share their keys)."""
    _execute(connection, rows, insert_only=True)


def upsert_newer(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts rows or updates stored ones whose ``seq`` is not newer than the row's.

    All rows must have the same keys; ``seq`` orders events of one message across processes.
    """
    _execute(connection, rows, insert_only=False)
