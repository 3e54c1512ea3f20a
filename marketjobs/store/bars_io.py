"""Bars between Polars and the SQL store: one set-based idempotent upsert, one Arrow-native-speed loader.

Writes go through :func:`marketjobs.store.bulk.write_frame`: on PostgreSQL rows travel by ``COPY`` into a
session-local staging table and one ``INSERT ... SELECT ... ON CONFLICT`` merges them; Polars writes the COPY
text itself, so no Python object is made per row. SQLite and MariaDB get one ``executemany`` of plain tuples
(the driver's C loop on SQLite; PyMySQL folds it into multi-row INSERTs).

Reads, measured by ``benchmarks/bar_loading.py`` on this machine (2 cores, busy with other work: rerun
before trusting differences under ~30%) with 252,000 bars (100 symbols x 2,520 days), best of 3, seconds:

==========  ===============  ===============  ==========  ======================================
database    SQLAlchemy rows  pandas.read_sql  ADBC        chosen (load_bars)
==========  ===============  ===============  ==========  ======================================
SQLite      2.45             3.92             0.31        cursor rows 0.56 (ADBC is unsafe, below)
PostgreSQL  2.59             2.29             0.65        COPY TO STDOUT 0.77 (the same, in noise)
MariaDB     5.14             4.73             no driver   cursor rows (PyMySQL parses every value)
==========  ===============  ===============  ==========  ======================================

"cursor rows" is the DBAPI cursor's ``fetchall()`` of plain tuples straight into ``pl.DataFrame``, skipping
SQLAlchemy's Row objects. PostgreSQL's ``COPY ... TO STDOUT (FORMAT csv)`` parsed by ``pl.read_csv`` is as
fast as the ADBC PostgreSQL driver, so it needs no extra dependency. MariaDB has no ADBC driver;
connectorx (which reads MySQL natively) is not measured yet.

SQLite does not read through ``adbc-driver-sqlite`` although it is 1.7x faster: that driver links its own
copy of SQLite, and two SQLite libraries in one process corrupt a database file both open (closing a file
descriptor in one drops the other's POSIX locks; sqlite.org "How To Corrupt An SQLite Database File",
2.2.1). It did: the demo's workers, which also hold the broker and the records in that file, failed with
"database disk image is malformed" within seconds. Instead, an Engine on a SQLite file is read by
``indicators_rs``' ``read_sqlite_bars`` (Rust), which calls the C functions of the very SQLite library
Python's ``sqlite3`` module loaded (looked up by the plugin itself in the ``_sqlite3`` extension's
library, which is already loaded), so the process still has one SQLite; it builds the columns with one C
call per value, no Python object per value. Where those functions cannot be found, cursor rows are read as
before.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

import polars as pl
from sqlalchemy import Connection, Engine, func, select, text

from marketjobs.clock import now_ms
from marketjobs.store.bars import BAR_COLUMNS, BAR_SCHEMA, Bar
from marketjobs.store.bulk import write_frame
from marketjobs.store.engine import READ_ONLY_OPTION

__all__ = ["load_bars", "newest_bar_times", "stored_symbols", "upsert_bars"]

_KEY = ("symbol", "ts")


def _rows_for_store(frame: pl.DataFrame, source: str) -> pl.DataFrame:
    missing = [c for c in BAR_COLUMNS if c not in frame.columns and c != "volume"]
    if missing:
        raise ValueError(f"bars frame lacks columns {missing}; validate it with validate_bars() first")
    if "volume" not in frame.columns:
        frame = frame.with_columns(volume=pl.lit(None, dtype=pl.Float64))
    return frame.select(
        pl.col("symbol").cast(pl.String),
        pl.col("ts").cast(BAR_SCHEMA["ts"]).dt.epoch("ms").alias("ts"),
        *[pl.col(c).cast(pl.Float64) for c in ("open", "high", "low", "close", "volume")],
        pl.lit(source, dtype=pl.String).alias("source"),
        pl.lit(now_ms(), dtype=pl.Int64).alias("updated_at"),
    )


def _quoted(connection: Connection, names: Sequence[str]) -> list[str]:
    quote = connection.dialect.identifier_preparer.quote
    return [quote(n) for n in names]


def upsert_bars(engine: Engine | Connection, frame: pl.DataFrame, *, source: str = "import") -> int:
    """Inserts the bars of ``frame`` or overwrites stored bars with the same (symbol, ts); returns the count.

    ``frame`` holds :data:`~marketjobs.marketdata.validate.BAR_COLUMNS` (``volume`` optional), distinct on
    (symbol, ts), e.g. the valid frame of ``validate_bars()``. Given an Engine, writes in one transaction.
    """
    if frame.is_empty():
        return 0
    rows = _rows_for_store(frame, source)
    if isinstance(engine, Engine):
        with engine.begin() as connection:
            return upsert_bars(connection, frame, source=source)
    write_frame(engine, "bars", rows, _KEY, update=True)
    return rows.height


def _epoch_ms(value: datetime | date) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(
                "naive datetime given to load_bars(); pass an aware one, e.g. datetime(..., tzinfo=UTC)"
            )
        return int(value.timestamp() * 1000)
    return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp() * 1000)


def _query(
    connection: Connection,
    symbols: Sequence[str] | None,
    start: datetime | date | None,
    end: datetime | date | None,
    last: int | None = None,
) -> tuple[str, list[Any]]:
    """The SELECT of load_bars and its parameters."""
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    where: list[str] = []
    params: list[Any] = []
    if symbols is not None:
        where.append(f"symbol IN ({', '.join([marker] * len(symbols))})")
        params.extend(symbols)
    if start is not None:
        where.append(f"ts >= {marker}")
        params.append(_epoch_ms(start))
    if end is not None:
        where.append(f"ts < {marker}")
        params.append(_epoch_ms(end))
    cols = ", ".join(_quoted(connection, BAR_COLUMNS))
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    if last is None:
        return f"SELECT {cols} FROM bars{clause} ORDER BY symbol, ts", params
    rank = "ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY ts DESC) AS bar_rank"
    recent = f"SELECT {cols}, {rank} FROM bars{clause}"
    return f"SELECT {cols} FROM ({recent}) recent WHERE bar_rank <= {int(last)} ORDER BY symbol, ts", params


_READ_SCHEMA = pl.Schema({**BAR_SCHEMA, "ts": pl.Int64()})


def _fetch_postgres(connection: Connection, sql: str, params: list[Any]) -> pl.DataFrame:
    buffer = io.BytesIO()
    cursor: Any = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params or None) as copy:
            for block in copy:
                buffer.write(block)
    finally:
        cursor.close()
    if buffer.tell() == 0:
        return pl.DataFrame(schema=_READ_SCHEMA)
    return pl.read_csv(buffer.getvalue(), has_header=False, schema=_READ_SCHEMA)


@functools.cache
def _native_sqlite() -> bool:
    """True when ``indicators_rs`` found the SQLite library Python's ``sqlite3`` uses (it looks it up
    itself: no address ever crosses from Python)."""
    try:
        from indicators_rs import _internal
    except ImportError:
        return False
    return bool(_internal.sqlite_native_available())


def _sqlite_file(engine: Engine) -> str | None:
    """The file of a SQLite engine (None: another database, or in memory)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return database


def _fetch_sqlite_native(path: str, sql: str, params: list[Any]) -> pl.DataFrame:
    from indicators_rs import _internal

    frame: pl.DataFrame = _internal.read_sqlite_bars(path, sql, params)
    return frame.cast(dict(_READ_SCHEMA))  # type: ignore[arg-type]


def _fetch_rows(connection: Connection, sql: str, params: list[Any]) -> pl.DataFrame:
    rows = connection.exec_driver_sql(sql, tuple(params)).cursor.fetchall()
    return pl.DataFrame(rows, schema=_READ_SCHEMA, orient="row")


def load_bars(
    engine: Engine | Connection,
    symbols: Sequence[str] | None = None,
    start: datetime | date | None = None,
    end: datetime | date | None = None,
    *,
    last: int | None = None,
) -> pl.DataFrame:
    """Bars of ``symbols`` (all when None) with ``start <= ts < end``, sorted by symbol, ts, as BAR_SCHEMA.

    Dates mean midnight UTC; datetimes must be timezone-aware. ``last`` keeps each symbol's latest N of
    those bars (a window function in the database, so older bars are never sent). Given a Connection, reads
    in its transaction (it sees its own writes); given an Engine on a SQLite file, reads natively (above).
    """
    if last is not None and last < 1:
        raise ValueError(f"load_bars(last={last}): pass a positive number of bars, or None for all")
    if symbols is not None and not symbols:
        return pl.DataFrame(schema=BAR_SCHEMA)
    chosen = list(symbols) if symbols is not None else None
    if isinstance(engine, Engine):
        path = _sqlite_file(engine)
        if path is None or not _native_sqlite():
            with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
                return load_bars(connection, symbols, start, end, last=last)
        with engine.connect() as connection:
            sql, params = _query(connection, chosen, start, end, last)
        frame = _fetch_sqlite_native(path, sql, params)
    else:
        sql, params = _query(engine, chosen, start, end, last)
        fetch = _fetch_postgres if engine.dialect.name == "postgresql" else _fetch_rows
        frame = fetch(engine, sql, params)
    return frame.with_columns(pl.col("ts").cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"))


#: Distinct symbols by one index seek each (a skip scan) instead of reading every bar as DISTINCT does:
#: 5 ms instead of 250 ms for 400 symbols x 2,520 bars on SQLite.
_SYMBOLS_SQL: Final = text(
    "WITH RECURSIVE found(symbol) AS (SELECT MIN(symbol) FROM bars UNION ALL "
    "SELECT (SELECT MIN(b.symbol) FROM bars b WHERE b.symbol > found.symbol) FROM found "
    "WHERE found.symbol IS NOT NULL) SELECT symbol FROM found WHERE symbol IS NOT NULL"
)


def stored_symbols(engine: Engine) -> list[str]:
    """Every symbol with a stored bar, sorted."""
    with engine.connect() as connection:
        return list(connection.execute(_SYMBOLS_SQL).scalars())


def newest_bar_times(engine: Engine, symbols: Sequence[str], end_ms: int | None = None) -> dict[str, int]:
    """Symbol -> time of its newest stored bar (before ``end_ms``), for symbols that have one."""
    query = select(Bar.symbol, func.max(Bar.ts)).where(Bar.symbol.in_(list(symbols))).group_by(Bar.symbol)
    if end_ms is not None:
        query = query.where(Bar.ts < end_ms)
    with engine.connect() as connection:
        return {symbol: int(ts) for symbol, ts in connection.execute(query)}
