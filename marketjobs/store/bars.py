"""The ``bars`` table: one OHLCV price bar per (symbol, timestamp).

Times are UTC epoch milliseconds in BIGINT columns, not DATETIME. Every driver hands back a BIGINT as a
plain Python int (or digits through PostgreSQL's COPY) that Polars turns into an Int64 column and casts to
``Datetime("ms", "UTC")`` without copying; DATETIME columns come back as one Python ``datetime`` object per
row, built in Python, with a different timezone story per database.
Writes skip per-row bind processing the same way. The broker tables store their times like this too.

Prices and volume are DOUBLE (``Double``): a plain ``Float`` is a 4-byte FLOAT on MariaDB, which would round
prices; double volume also holds fractional volume (crypto, FX).
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import BigInteger, Double, String
from sqlalchemy.orm import Mapped, mapped_column

from marketjobs.store.base import Base

__all__ = ["BAR_COLUMNS", "BAR_SCHEMA", "MAX_SYMBOL_LENGTH", "Bar", "bad_symbols", "symbols_problem"]

#: Columns of a valid bars frame, in order.
BAR_COLUMNS = ("symbol", "ts", "open", "high", "low", "close", "volume")
#: Types of a valid bars frame.
BAR_SCHEMA = pl.Schema(
    {
        "symbol": pl.String(),
        "ts": pl.Datetime("ms", "UTC"),
        "open": pl.Float64(),
        "high": pl.Float64(),
        "low": pl.Float64(),
        "close": pl.Float64(),
        "volume": pl.Float64(),
    }
)
#: Longest symbol stored (the column's size).
MAX_SYMBOL_LENGTH = 32
#: Longest source label stored (the column's size).
MAX_SOURCE_LENGTH = 64


def bad_symbols(symbols: list[str]) -> list[str]:
    """The entries of ``symbols`` that cannot be stored: blank, or longer than :data:`MAX_SYMBOL_LENGTH`."""
    return [s for s in symbols if not s.strip() or len(s) > MAX_SYMBOL_LENGTH]


def symbols_problem(symbols: list[str]) -> str | None:
    """Why ``symbols`` is not a list of storable symbols (None when it is): the one wording for every job."""
    bad = bad_symbols(symbols)
    if not symbols or bad:
        shown = f" (bad: {', '.join(repr(s) for s in bad[:5])})" if bad else ""
        return f"symbols must be a non-empty list of names of 1 to {MAX_SYMBOL_LENGTH} characters{shown}"
    return None


class Bar(Base):
    """One OHLCV price bar; the primary key (symbol, ts) makes writes idempotent upserts."""

    __tablename__ = "bars"

    symbol: Mapped[str] = mapped_column(String(MAX_SYMBOL_LENGTH), primary_key=True)
    #: Bar open time, UTC epoch milliseconds.
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    open: Mapped[float] = mapped_column(Double)
    high: Mapped[float] = mapped_column(Double)
    low: Mapped[float] = mapped_column(Double)
    close: Mapped[float] = mapped_column(Double)
    volume: Mapped[float | None] = mapped_column(Double)
    #: Where the bar came from: "import", "synthetic", a provider name.
    source: Mapped[str] = mapped_column(String(MAX_SOURCE_LENGTH))
    #: When the row was last written, UTC epoch milliseconds.
    updated_at: Mapped[int] = mapped_column(BigInteger)

    # Rows cluster by (symbol, ts) on SQLite too (InnoDB always does): per-symbol range reads are sequential.
    __table_args__ = {"sqlite_with_rowid": False}
