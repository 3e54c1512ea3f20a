"""Analysis of stored bars on SQLite, PostgreSQL and MariaDB: snapshots upserted, signals idempotent."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, Select, select, text

from marketjobs.analysis.technical import DEFAULT_INDICATORS, analyse_bars
from marketjobs.analysis.technical_specs import parse_indicators, parse_patterns
from marketjobs.services.technical_run import BATCH_SYMBOLS, analyse_stored
from marketjobs.store.analysis import Signal
from marketjobs.store.bars_io import load_bars, stored_symbols, upsert_bars
from tests.analysis.test_technical import make_bars


def _rows(engine: Engine, sql: str | Select[Any]) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql) if isinstance(sql, str) else sql)]


def test_load_bars_last_keeps_each_symbols_latest_bars(engine: Engine) -> None:
    bars = make_bars({"AAA": 30, "BBB": 5, "CCC": 12})
    upsert_bars(engine, bars)
    recent = load_bars(engine, ["AAA", "BBB"], last=10)
    expected = (
        bars.filter(pl.col("symbol").is_in(["AAA", "BBB"])).group_by("symbol", maintain_order=True).tail(10)
    )
    assert recent.select("symbol", "ts", "close").equals(expected.select("symbol", "ts", "close"))
    assert load_bars(engine, last=1)["symbol"].to_list() == ["AAA", "BBB", "CCC"]
    with pytest.raises(ValueError, match="pass a positive number of bars"):
        load_bars(engine, last=0)


def test_load_bars_keeps_missing_volume_past_the_first_rows_and_equals_a_connection_read(
    engine: Engine,
) -> None:
    bars = make_bars({"AAA": 3000, "BBB": 10})
    bars = bars.with_columns(volume=pl.when(pl.int_range(pl.len()) < 2500).then(None).otherwise("volume"))
    upsert_bars(engine, bars)
    loaded = load_bars(engine)  # on SQLite through ADBC: the NULL-led volume column must stay Float64
    assert loaded.equals(bars.select(loaded.columns))
    with engine.connect() as connection:
        assert load_bars(connection, ["BBB", "AAA"], last=4).equals(load_bars(engine, ["AAA", "BBB"], last=4))
    assert load_bars(engine, ["NONE"]).schema == loaded.schema


def test_stored_analysis_writes_snapshots_and_signals_once(engine: Engine) -> None:
    lengths = {f"S{i:03d}": 80 for i in range(BATCH_SYMBOLS + 3)} | {"ONE": 1}
    bars = make_bars(lengths, seed=11)
    upsert_bars(engine, bars)
    symbols = [*stored_symbols(engine), "NOPE"]
    specs, patterns = parse_indicators(DEFAULT_INDICATORS), parse_patterns("all")
    steps: list[float] = []
    first = analyse_stored(
        engine, symbols, specs, patterns, signal_bars=None, job_id="j1", progress=lambda p, _: steps.append(p)
    )
    assert (first.symbols, first.analysed, first.missing, first.rows) == (
        len(lengths) + 1,
        len(lengths),
        ["NOPE"],
        bars.height,
    )
    done = [*range(BATCH_SYMBOLS, len(symbols), BATCH_SYMBOLS), len(symbols)]
    assert steps == [100 * d / len(symbols) for d in done]
    assert len(steps) > 1
    assert first.snapshots == len(lengths)
    expected = analyse_bars(load_bars(engine), specs, patterns)
    assert first.signals_new == expected.signals.height == sum(first.signals.values()) > 0

    stored = _rows(  # "signal" is a reserved word on MariaDB: SQLAlchemy quotes it
        engine,
        select(
            Signal.symbol, Signal.ts, Signal.signal, Signal.direction, Signal.value, Signal.job_id
        ).order_by(Signal.symbol, Signal.ts, Signal.signal),
    )
    events = expected.signals.sort("symbol", "timestamp", "signal")
    assert [r[:4] for r in stored] == [
        (s, int(t.timestamp() * 1000), n, d)
        for s, t, n, d in events.select("symbol", "timestamp", "signal", "direction").rows()
    ]
    assert {r[5] for r in stored} == {"j1"}
    snapshot = _rows(
        engine,
        "SELECT ts, close, indicator_values, previous_values FROM indicator_snapshots WHERE symbol = 'S001'",
    )[0]
    mine = expected.snapshots.filter(pl.col("symbol") == "S001").row(0, named=True)
    assert (snapshot[0], snapshot[1]) == (mine["ts"], mine["close"])
    values = snapshot[2] if isinstance(snapshot[2], dict) else json.loads(str(snapshot[2]))
    assert values == json.loads(mine["indicator_values"])
    assert "rsi_14" in values
    assert "cdldoji" in values
    assert _rows(engine, "SELECT previous_values FROM indicator_snapshots WHERE symbol = 'ONE'") == [(None,)]

    again = analyse_stored(engine, symbols, specs, patterns, signal_bars=None, job_id="j2")
    assert again.signals == first.signals
    assert again.signals_new == 0
    assert _rows(engine, "SELECT COUNT(*), MIN(job_id) FROM signals") == [(len(stored), "j1")]
    assert _rows(engine, "SELECT COUNT(*), MIN(job_id), MAX(job_id) FROM indicator_snapshots") == [
        (len(lengths), "j2", "j2")
    ]


def test_a_stop_request_ends_the_run_between_batches(engine: Engine) -> None:
    upsert_bars(engine, make_bars({f"S{i:03d}": 3 for i in range(BATCH_SYMBOLS + 1)}))
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1

    summary = analyse_stored(
        engine, stored_symbols(engine), parse_indicators(["SMA_2"]), [], should_stop=stop
    )
    assert (summary.stopped, summary.analysed, summary.snapshots) == (True, BATCH_SYMBOLS, BATCH_SYMBOLS)
