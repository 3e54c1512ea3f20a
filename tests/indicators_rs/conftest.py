"""Fixtures for the indicator tests: real daily bars and the TA-Lib reference helpers."""

from __future__ import annotations

import polars as pl
import pytest
from bokeh_sampledata import package_path

#: Daily OHLCV bars shipped by the ``bokeh-sampledata`` wheel (AAPL, FB, GOOG, IBM, MSFT; 2000-2013).
STOCKS_CSV = "stocks.csv.gz"


@pytest.fixture(scope="session")
def daily_bars() -> pl.DataFrame:
    """Real daily bars of several symbols, sorted by symbol then date."""
    frame = pl.read_csv(package_path(STOCKS_CSV), try_parse_dates=True)
    return frame.select(
        pl.col("Ticker").alias("symbol"),
        pl.col("Date").alias("date"),
        pl.col("Open").alias("open"),
        pl.col("High").alias("high"),
        pl.col("Low").alias("low"),
        pl.col("Close").alias("close"),
        pl.col("Volume").alias("volume"),
    ).sort("symbol", "date")
