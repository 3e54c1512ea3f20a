"""Tables technical analysis writes: the latest indicator snapshot per symbol and signal events.

Times are UTC epoch milliseconds in BIGINT columns, as in :mod:`marketjobs.store.bars`. Writes are set-based
(one statement per batch of rows, never one per row, as in :mod:`marketjobs.marketdata.bars_io`): snapshots
are upserted (the latest run wins), signals inserted unless the same (symbol, ts, signal) is stored, so a
rerun adds nothing and keeps each event's first ``created_at``. On PostgreSQL rows travel by ``COPY`` into a
session-local staging table; SQLite and MariaDB get one ``executemany`` of plain tuples.
"""

from __future__ import annotations

import time
from typing import Any, Final

import polars as pl
from sqlalchemy import JSON, BigInteger, Connection, Double, Engine, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from marketjobs.store.bars import MAX_SYMBOL_LENGTH
from marketjobs.store.models import Base

__all__ = ["IndicatorSnapshot", "Signal", "write_signals", "write_snapshots"]


class IndicatorSnapshot(Base):
    """Each symbol's indicator values on its latest bar (and on the bar before, for crossings)."""

    __tablename__ = "indicator_snapshots"

    symbol: Mapped[str] = mapped_column(String(MAX_SYMBOL_LENGTH), primary_key=True)
    #: Time of the bar the values belong to, UTC epoch milliseconds.
    ts: Mapped[int] = mapped_column(BigInteger)
    close: Mapped[float | None] = mapped_column(Double)
    #: Output column name -> value on the latest bar (null during warm-up), e.g. {"rsi_14": 61.2}.
    indicator_values: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The same names on the bar before the latest (null for a symbol with one bar).
    previous_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[int] = mapped_column(BigInteger)


class Signal(Base):
    """One signal event; the key (symbol, ts, signal) makes re-running an analysis idempotent."""

    __tablename__ = "signals"

    symbol: Mapped[str] = mapped_column(String(MAX_SYMBOL_LENGTH), primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: e.g. "rsi_overbought", "macd_cross", "sma_20_cross", "bollinger_upper_breakout", "cdlengulfing".
    signal: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: "up" or "down".
    direction: Mapped[str] = mapped_column(String(8))
    value: Mapped[float | None] = mapped_column(Double)
    job_id: Mapped[str | None] = mapped_column(String(64))
    #: When the event was stored, UTC epoch milliseconds (alerts read new events by this).
    created_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_signals_created_at", "created_at"), Index("ix_signals_ts", "ts"))


#: Rows per executemany call; bounds the driver's parameter buffers.
ROWS_PER_BATCH: Final = 20_000
SNAPSHOT_COLUMNS: Final = (
    "symbol", "ts", "close", "indicator_values", "previous_values", "job_id", "updated_at",
)  # fmt: skip
SIGNAL_COLUMNS: Final = ("symbol", "ts", "signal", "direction", "value", "job_id", "created_at")


def _statement(
    connection: Connection,
    table: str,
    columns: tuple[str, ...],
    key: tuple[str, ...],
    *,
    update: bool,
    source: str,
) -> str:
    quote = connection.dialect.identifier_preparer.quote  # "signal" is reserved on MariaDB
    names = ", ".join(quote(c) for c in columns)
    if connection.dialect.name in ("mysql", "mariadb"):
        if not update:
            return f"INSERT IGNORE INTO {table} ({names}) {source}"
        sets = ", ".join(f"{quote(c)} = VALUES({quote(c)})" for c in columns if c not in key)
        return f"INSERT INTO {table} ({names}) {source} ON DUPLICATE KEY UPDATE {sets}"
    where = " WHERE true" if source.startswith("SELECT") else ""  # SQLite's parser needs it after SELECT
    if not update:
        return f"INSERT INTO {table} ({names}) {source}{where} ON CONFLICT DO NOTHING"
    sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({names}) {source}{where} ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
    )


def _write(
    connection: Connection,
    table: str,
    rows: pl.DataFrame,
    key: tuple[str, ...],
    *,
    update: bool,
) -> int:
    """Writes ``rows`` (columns in statement order); returns the rows the database reports as written."""
    columns = tuple(rows.columns)
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(c) for c in columns)
    if connection.dialect.name == "postgresql":
        stage = f"marketjobs_{table}_stage"
        cursor: Any = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table}) ON COMMIT DELETE ROWS")
            with cursor.copy(f"COPY {stage} ({quoted}) FROM STDIN (FORMAT csv)") as copy:
                copy.write(rows.write_csv(include_header=False))
            source = f"SELECT {quoted} FROM {stage}"
            cursor.execute(_statement(connection, table, columns, key, update=update, source=source))
            written = int(cursor.rowcount)
            cursor.execute(f"DELETE FROM {stage}")  # several writes may share one transaction
        finally:
            cursor.close()
        return written
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    source = f"VALUES ({', '.join([marker] * len(columns))})"
    sql = _statement(connection, table, columns, key, update=update, source=source)
    written = 0
    for offset in range(0, rows.height, ROWS_PER_BATCH):
        result = connection.exec_driver_sql(sql, rows.slice(offset, ROWS_PER_BATCH).rows())
        written += max(int(result.rowcount), 0)
    return written


def _in_transaction(engine: Engine | Connection, write: Any) -> int:
    if isinstance(engine, Engine):
        with engine.begin() as connection:
            return int(write(connection))
    return int(write(engine))


def write_snapshots(
    engine: Engine | Connection, snapshots: pl.DataFrame, *, job_id: str | None = None
) -> int:
    """Upserts one snapshot per symbol (``symbol``, ``ts`` epoch ms, ``close``, ``indicator_values`` and
    ``previous_values`` as JSON text, e.g. from ``latest_snapshots()``); returns the number of symbols."""
    if snapshots.is_empty():
        return 0
    rows = snapshots.select(
        pl.col("symbol").cast(pl.String),
        pl.col("ts").cast(pl.Int64),
        pl.col("close").cast(pl.Float64),
        pl.col("indicator_values").cast(pl.String),
        pl.col("previous_values").cast(pl.String),
        pl.lit(job_id, pl.String).alias("job_id"),
        pl.lit(int(time.time() * 1000), pl.Int64).alias("updated_at"),
    )
    _in_transaction(engine, lambda c: _write(c, "indicator_snapshots", rows, ("symbol",), update=True))
    return rows.height


def write_signals(engine: Engine | Connection, events: pl.DataFrame, *, job_id: str | None = None) -> int:
    """Inserts signal events (``symbol``, ``timestamp`` (Datetime or epoch ms), ``signal``, ``direction``,
    ``value``, as from ``detect_signals()``) not already stored; returns how many were new."""
    if events.is_empty():
        return 0
    ts = pl.col("timestamp")
    rows = events.select(
        pl.col("symbol").cast(pl.String),
        (ts.dt.epoch("ms") if events.schema["timestamp"].is_temporal() else ts.cast(pl.Int64)).alias("ts"),
        pl.col("signal").cast(pl.String),
        pl.col("direction").cast(pl.String),
        pl.col("value").cast(pl.Float64).fill_nan(None),
        pl.lit(job_id, pl.String).alias("job_id"),
        pl.lit(int(time.time() * 1000), pl.Int64).alias("created_at"),
    )
    return _in_transaction(
        engine, lambda c: _write(c, "signals", rows, ("symbol", "ts", "signal"), update=False)
    )
