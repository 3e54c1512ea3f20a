"""Bars go into the store idempotently and come back sorted, typed and filtered, on every database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from marketjobs.marketdata import bars_io
from marketjobs.marketdata.bars_io import load_bars, upsert_bars
from marketjobs.marketdata.validate import BAR_SCHEMA
from marketjobs.store.bars import Bar
from marketjobs.store.engine import create_store_engine


def bars(symbols: list[str], days: int, close: float = 10.5) -> pl.DataFrame:
    ts = pl.datetime_range(
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, days, tzinfo=UTC),
        "1d",
        eager=True,
        time_unit="ms",
    )
    return pl.concat(
        pl.DataFrame(
            {"symbol": s, "ts": ts, "open": 10.0, "high": 11.0, "low": 9.0, "close": close, "volume": 1e6}
        )
        for s in symbols
    ).cast(BAR_SCHEMA)


def stored_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Bar)).scalar_one())


def test_upserted_bars_load_back_equal_and_sorted(engine: Engine) -> None:
    written = bars(["MSFT", "AAPL"], 5).with_columns(close=pl.Series([0.1 + 0.2, *[10.5] * 9]))
    assert upsert_bars(engine, written) == 10
    loaded = load_bars(engine)
    assert loaded.schema == BAR_SCHEMA
    assert loaded.equals(written.sort("symbol", "ts"))


def test_upserting_again_updates_without_duplicates(engine: Engine) -> None:
    upsert_bars(engine, bars(["AAPL"], 4))
    upsert_bars(engine, bars(["AAPL"], 6, close=10.75).with_columns(volume=pl.lit(None, dtype=pl.Float64)))
    loaded = load_bars(engine)
    assert stored_count(engine) == 6
    assert loaded["close"].to_list() == [10.75] * 6
    assert loaded["volume"].null_count() == 6


def test_upsert_writes_more_rows_than_one_batch(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bars_io, "ROWS_PER_BATCH", 1000)
    many = bars([f"S{i:03d}" for i in range(120)], 31)
    upsert_bars(engine, many)
    assert stored_count(engine) == many.height


def test_load_filters_by_symbols_and_half_open_time_range(engine: Engine) -> None:
    upsert_bars(engine, bars(["AAPL", "IBM", "MSFT"], 10))
    loaded = load_bars(engine, ["MSFT", "AAPL"], start=date(2024, 1, 3), end=datetime(2024, 1, 5, tzinfo=UTC))
    assert loaded.select("symbol", pl.col("ts").dt.day()).rows() == [
        ("AAPL", 3),
        ("AAPL", 4),
        ("MSFT", 3),
        ("MSFT", 4),
    ]


def test_empty_results_keep_the_bar_schema(engine: Engine) -> None:
    assert load_bars(engine).schema == BAR_SCHEMA
    assert load_bars(engine, []).schema == BAR_SCHEMA
    assert upsert_bars(engine, bars(["A"], 1).clear()) == 0


def test_naive_datetimes_are_refused_with_the_fix(sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="tzinfo=UTC"):
        load_bars(create_store_engine(sqlite_url), start=datetime(2024, 1, 1))
