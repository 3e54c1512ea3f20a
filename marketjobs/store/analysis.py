"""Tables technical analysis writes: the latest indicator snapshot per symbol and signal events.

Times are UTC epoch milliseconds in BIGINT columns, as in :mod:`marketjobs.store.bars`. Writes are set-based
(:func:`marketjobs.store.bulk.write_frame`, one statement per batch of rows): snapshots are upserted (the
latest run wins), signals inserted unless the same (symbol, ts, signal) is stored, so a rerun adds nothing and
keeps each event's first ``created_at``.
"""

from __future__ import annotations

from typing import Any, Final

import polars as pl
from sqlalchemy import JSON, BigInteger, Connection, Double, Engine, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from marketjobs.clock import now_ms
from marketjobs.store.bars import MAX_SYMBOL_LENGTH
from marketjobs.store.base import Base
from marketjobs.store.bulk import in_transaction, write_frame

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


SNAPSHOT_COLUMNS: Final = (
    "symbol", "ts", "close", "indicator_values", "previous_values", "job_id", "updated_at",
)  # fmt: skip
SIGNAL_COLUMNS: Final = ("symbol", "ts", "signal", "direction", "value", "job_id", "created_at")


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
        pl.lit(now_ms(), pl.Int64).alias("updated_at"),
    )
    in_transaction(engine, lambda c: write_frame(c, "indicator_snapshots", rows, ("symbol",), update=True))
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
        pl.lit(now_ms(), pl.Int64).alias("created_at"),
    )
    return in_transaction(
        engine, lambda c: write_frame(c, "signals", rows, ("symbol", "ts", "signal"), update=False)
    )
