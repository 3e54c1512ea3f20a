"""Sample data of ``marketjobs demo``: the real daily bars shipped by the ``bokeh-sampledata`` wheel.

AAPL, IBM, MSFT, GOOG and FB daily OHLCV (public domain; 2000-2013, FB from 2012) written as one CSV per
symbol, the way a user drops files for ``marketjobs import``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

__all__ = ["SAMPLE_TICKERS", "write_sample_bars"]

#: The tickers the wheel ships.
SAMPLE_TICKERS = ("AAPL", "IBM", "MSFT", "GOOG", "FB")


def write_sample_bars(directory: Path) -> list[Path] | None:
    """Writes ``<directory>/<TICKER>.csv`` for every sample ticker; None when the wheel is not installed."""
    try:
        from bokeh_sampledata import stocks
    except ImportError:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for ticker in SAMPLE_TICKERS:
        data = getattr(stocks, ticker)
        frame = pl.DataFrame(
            {
                "date": data["date"],
                "open": data["open"],
                "high": data["high"],
                "low": data["low"],
                "close": data["close"],
                "volume": data["volume"],
            }
        )
        path = directory / f"{ticker}.csv"
        frame.write_csv(path)
        paths.append(path)
    return paths
