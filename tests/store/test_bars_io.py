"""Bars go into the store idempotently and come back sorted, typed and filtered, on every database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from marketjobs.marketdata.validate import BAR_SCHEMA
from marketjobs.store import bars_io, bulk
from marketjobs.store.bars import Bar
from marketjobs.store.bars_io import load_bars, upsert_bars
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
    monkeypatch.setattr(bulk, "ROWS_PER_BATCH", 1000)
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


def random_bars(symbols: int, days: int, seed: int = 3) -> pl.DataFrame:
    """Bars with awkward doubles (no short decimal form), some null volumes and symbols of any length."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = symbols * days
    close = np.exp(rng.normal(0, 3, n))
    return pl.DataFrame(
        {
            "symbol": np.repeat([f"S{i}" * (1 + i % 3) for i in range(symbols)], days),
            "ts": np.tile(np.arange(days, dtype=np.int64) * 86_400_000 + 1_700_000_000_000, symbols),
            "open": close * 0.99,
            "high": close * 1.01,
            "low": close * 0.98,
            "close": close,
            "volume": pl.Series(rng.integers(0, 10**9, n).astype(float)).scatter(
                rng.choice(n, n // 10, replace=False), None
            ),
        }
    ).with_columns(pl.col("ts").cast(pl.Datetime("ms", "UTC")))


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"symbols": ["S1S1", "S3"]},
        {"start": date(2023, 11, 20), "end": date(2023, 12, 1)},
        {"last": 7},
        {"symbols": ["S2S2S2"], "last": 1},
        {"symbols": ["NOPE"]},
    ],
)
def test_engine_reads_of_a_sqlite_file_equal_cursor_reads_bit_for_bit(
    sqlite_url: str, query: dict[str, object]
) -> None:
    engine = create_store_engine(sqlite_url)
    upsert_bars(engine, random_bars(6, 40))
    assert bars_io._native_sqlite()  # the native path is taken on this machine
    native = load_bars(engine, **query)  # type: ignore[arg-type]
    with engine.connect() as connection:
        rows = load_bars(connection, **query)  # type: ignore[arg-type]
    assert native.schema == BAR_SCHEMA
    assert native.equals(rows, null_equal=True)
    assert native["volume"].null_count() == rows["volume"].null_count()


def test_the_native_reader_uses_the_sqlite_library_python_loaded() -> None:
    import _sqlite3
    import ctypes
    import sqlite3

    assert bars_io._native_sqlite()
    library = ctypes.CDLL(_sqlite3.__file__)  # the extension behind Python's sqlite3, and its SQLite
    maps = Path("/proc/self/maps").read_text().splitlines()
    assert len({line.split()[-1] for line in maps if "libsqlite3" in line}) <= 1  # one SQLite library
    libversion = library.sqlite3_libversion
    libversion.restype = ctypes.c_char_p
    assert libversion().decode() == sqlite3.sqlite_version


def test_native_reads_beside_writers_leave_the_file_intact(sqlite_url: str) -> None:
    """The corruption two SQLite copies cause shows up as soon as reads and writes interleave."""
    import threading

    engine = create_store_engine(sqlite_url)
    upsert_bars(engine, random_bars(4, 30))
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        seed = 0
        while not stop.is_set():
            seed += 1
            try:
                upsert_bars(engine, random_bars(4, 30, seed=seed))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(200):
            assert load_bars(engine).height == 120
    finally:
        stop.set()
        writer.join()
    assert errors == []
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"


def test_a_native_read_error_names_the_problem(tmp_path: object) -> None:
    from indicators_rs import _internal

    assert bars_io._native_sqlite()
    with pytest.raises(RuntimeError, match="SQLite cannot open"):
        _internal.read_sqlite_bars("/nonexistent/dir/x.db", "SELECT 1", [])


def test_no_function_address_can_be_passed_from_python() -> None:
    """The reader looks SQLite up itself: integers from a caller never become function pointers."""
    from indicators_rs import _internal

    with pytest.raises(TypeError):
        _internal.read_sqlite_bars([1, 2], "x.db", "SELECT 1", [])  # type: ignore[call-arg]
    assert not hasattr(_internal, "SQLITE_FUNCTIONS")
