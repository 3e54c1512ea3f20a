"""Tables technical analysis writes: the latest indicator snapshot per symbol and signal events.

Times are UTC epoch milliseconds in BIGINT columns, as in :mod:`marketjobs.store.bars`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Double, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from marketjobs.store.bars import MAX_SYMBOL_LENGTH
from marketjobs.store.models import Base

__all__ = ["IndicatorSnapshot", "Signal"]


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
    #: e.g. "rsi_above_70", "macd_cross", "close_cross_sma_20", "cdlengulfing".
    signal: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: "up" or "down".
    direction: Mapped[str] = mapped_column(String(8))
    value: Mapped[float | None] = mapped_column(Double)
    job_id: Mapped[str | None] = mapped_column(String(64))
    #: When the event was stored, UTC epoch milliseconds (alerts read new events by this).
    created_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_signals_created_at", "created_at"), Index("ix_signals_ts", "ts"))
