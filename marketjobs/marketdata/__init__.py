"""Market data: OHLCV validation, streaming import of CSV/Parquet files, bar I/O between SQL and Polars."""

from __future__ import annotations

from marketjobs.marketdata.importer import ImportSummary, import_bars
from marketjobs.marketdata.validate import BAR_SCHEMA, validate_bars
from marketjobs.store.bars_io import load_bars, upsert_bars

__all__ = ["BAR_SCHEMA", "ImportSummary", "import_bars", "load_bars", "upsert_bars", "validate_bars"]
