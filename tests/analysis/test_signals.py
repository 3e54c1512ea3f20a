"""Signal events: hand-written crossing tables, a per-symbol reference loop under Hypothesis, and errors."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from marketjobs.analysis import signals
from marketjobs.analysis.signals import (
    EVENT_SCHEMA,
    bollinger_signals,
    detect_signals,
    macd_signals,
    pattern_signals,
    rsi_signals,
    sma_signals,
)
from marketjobs.errors import ParameterError

T0 = dt.datetime(2024, 1, 1)
NAN = math.nan


def bars(symbol: str = "A", **columns: Any) -> pl.DataFrame:
    rows = len(next(iter(columns.values())))
    times = [T0 + dt.timedelta(days=i) for i in range(rows)]
    return pl.DataFrame({"symbol": symbol, "timestamp": times, **columns}, strict=False)


def fired(events: pl.DataFrame) -> list[tuple[int, str, str]]:
    """Events as (bar index, signal, direction)."""
    return [((t - T0).days, s, d) for t, s, d in events.select("timestamp", "signal", "direction").rows()]


CASES: list[tuple[str, Callable[..., pl.DataFrame], dict[str, Any], list[tuple[int, str, str]]]] = [
    (
        "rsi enters and leaves overbought",
        rsi_signals,
        {"rsi": [None, 65, 75, 72, 60]},
        [(2, "rsi_overbought", "up"), (4, "rsi_overbought_exit", "down")],
    ),
    (
        "rsi enters and leaves oversold",
        rsi_signals,
        {"rsi": [35, 25, 28, 31]},
        [(1, "rsi_oversold", "down"), (3, "rsi_oversold_exit", "up")],
    ),
    ("rsi rising to exactly 70 fires nothing", rsi_signals, {"rsi": [69, 70, 69]}, []),
    ("rsi falling to exactly 30 fires nothing", rsi_signals, {"rsi": [31, 30, 31]}, []),
    (
        "rsi touching 70 from above is an exit",
        rsi_signals,
        {"rsi": [71, 70, 71]},
        [
            (1, "rsi_overbought_exit", "down"),
            (2, "rsi_overbought", "up"),
        ],
    ),
    (
        "rsi crossing both levels in one bar",
        rsi_signals,
        {"rsi": [80, 20]},
        [
            (1, "rsi_overbought_exit", "down"),
            (1, "rsi_oversold", "down"),
        ],
    ),
    ("warm-up nulls never fire", rsi_signals, {"rsi": [None, None, 80, None]}, []),
    (
        "a crossing across a gap fires after it",
        rsi_signals,
        {"rsi": [65, None, NAN, 75]},
        [(3, "rsi_overbought", "up")],
    ),
    (
        "macd crosses its signal line both ways",
        macd_signals,
        {"macd": [None, -1.0, 0.5, 0.5, -0.2], "macdsignal": [None, 0.0, 0.0, 0.6, 0.0]},
        [(2, "macd_cross", "up"), (3, "macd_cross", "down")],
    ),
    (
        "macd touching its signal line is not bullish",
        macd_signals,
        {"macd": [-1, 0, -1], "macdsignal": [0, 0, 0]},
        [],
    ),
    (
        "close crosses the sma",
        sma_signals,
        {"close": [11.0, 9.0, 12.0, 8.0], "sma": [None, 10.0, 10.5, 10.0]},
        [(2, "sma_cross", "up"), (3, "sma_cross", "down")],
    ),
    (
        "close breaks out of the bollinger bands",
        bollinger_signals,
        {
            "close": [10.0, 13.0, 14.0, 10.0, 6.0, 5.0],
            "upperband": [12.0, 12.0, 12.0, 12.0, 12.0, 12.0],
            "lowerband": [8.0, 8.0, 8.0, 8.0, 8.0, 8.0],
        },
        [(1, "bollinger_upper_breakout", "up"), (4, "bollinger_lower_breakout", "down")],
    ),
    (
        "every nonzero candle is an event",
        pattern_signals,
        {"cdldoji": pl.Series([0, 100, -80, None, 0, -100], dtype=pl.Int32)},
        [(1, "cdldoji", "up"), (2, "cdldoji", "down"), (5, "cdldoji", "down")],
    ),
]


@pytest.mark.parametrize(("case", "function", "columns", "expected"), CASES, ids=lambda v: v)
def test_signal_rules_fire_on_the_expected_bars(
    case: str, function: Callable[..., pl.DataFrame], columns: dict[str, Any], expected: list[Any]
) -> None:
    assert fired(function(bars(**columns))) == sorted(expected), case


def test_values_are_the_indicator_or_the_close_on_the_bar() -> None:
    frame = bars(
        rsi=[60.0, 75.0], close=[9.0, 11.0], sma=[10.0, 10.0], cdlhammer=pl.Series([0, 100], dtype=pl.Int32)
    )
    events = detect_signals(frame, macd=None, bollinger=None)
    assert dict(zip(events["signal"], events["value"], strict=True)) == {
        "cdlhammer": 100.0,
        "rsi_overbought": 75.0,
        "sma_cross": 11.0,
    }


def test_crossings_never_span_two_symbols() -> None:
    frame = pl.concat([bars("A", rsi=[50.0, 60.0, 65.0]), bars("B", rsi=[80.0, 85.0, 90.0])])
    assert rsi_signals(frame).is_empty()
    sma = pl.concat(
        [bars("A", close=[9.0, 9.0], sma=[10.0, 10.0]), bars("B", close=[11.0, 11.0], sma=[10.0, 10.0])]
    )
    assert sma_signals(sma).is_empty()


def test_symbols_interleaved_by_time_give_the_same_events() -> None:
    frame = pl.concat([bars("A", rsi=[50.0, 75.0, 60.0, 20.0]), bars("B", rsi=[20.0, 50.0, 80.0, 60.0])])
    interleaved = frame.sort("timestamp", "symbol")
    assert rsi_signals(interleaved).equals(rsi_signals(frame))
    assert rsi_signals(frame).height == 6


def test_several_sma_columns_get_their_own_signal_names() -> None:
    frame = bars(close=[9.0, 11.0, 21.0], sma_20=[10.0, 10.0, 10.0], sma_50=[20.0, 20.0, 20.0])
    assert fired(sma_signals(frame, sma=["sma_20", "sma_50"])) == [
        (1, "sma_20_cross", "up"),
        (2, "sma_50_cross", "up"),
    ]


def test_column_names_and_levels_are_parameters() -> None:
    frame = bars(RSI_14=[50.0, 85.0, 79.0]).rename({"symbol": "ticker", "timestamp": "date"})
    frame = frame.with_columns(pl.col("date").cast(pl.Date))
    events = rsi_signals(frame, rsi="RSI_14", upper=80.0, lower=20.0, symbol="ticker", time="date")
    assert events.columns == ["symbol", "timestamp", "signal", "value", "direction"]
    assert events.schema["timestamp"] == pl.Date
    assert events["signal"].to_list() == ["rsi_overbought", "rsi_overbought_exit"]


def test_patterns_default_to_int32_cdl_columns_only() -> None:
    frame = bars(
        cdlengulfing=pl.Series([0, -100], dtype=pl.Int32),
        volume=pl.Series([5, 7], dtype=pl.Int32),
        cdl_count=pl.Series([1, 1], dtype=pl.Int64),
    )
    assert fired(pattern_signals(frame)) == [(1, "cdlengulfing", "down")]


def test_empty_input_gives_an_empty_frame_with_the_event_schema() -> None:
    frame = bars(rsi=[50.0]).head(0)
    expected = {"symbol": pl.String, "timestamp": pl.Datetime("us"), **EVENT_SCHEMA}
    assert rsi_signals(frame).schema == expected
    assert (
        detect_signals(frame, rsi=None, macd=None, sma=None, bollinger=None, patterns=[]).schema == expected
    )


def test_detect_signals_combines_every_family() -> None:
    frame = bars(
        close=[10.0, 13.0],
        rsi=[60.0, 75.0],
        macd=[-1.0, 1.0],
        macdsignal=[0.0, 0.0],
        sma=[11.0, 11.0],
        upperband=[12.0, 12.0],
        lowerband=[8.0, 8.0],
        cdldoji=pl.Series([0, 100], dtype=pl.Int32),
    )
    assert [signal for _, signal, _ in fired(detect_signals(frame))] == [
        "bollinger_upper_breakout",
        "cdldoji",
        "macd_cross",
        "rsi_overbought",
        "sma_cross",
    ]


# ---------------------------------------------------------------- a per-symbol reference loop


def reference_level_crossings(rows: list[tuple[str, float | None]], level: float) -> list[tuple[int, str]]:
    """(row, direction) where "value > level" changes from the symbol's last known state."""
    last: dict[str, bool] = {}
    events = []
    for index, (symbol, value) in enumerate(rows):
        if value is None or math.isnan(value):
            continue
        state = value > level
        if symbol in last and last[symbol] != state:
            events.append((index, "up" if state else "down"))
        last[symbol] = state
    return events


values = st.one_of(st.none(), st.just(NAN), st.integers(60, 80).map(float))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]), values), max_size=40))
@example([("A", 65.0), ("B", 75.0)])
@example([("A", 75.0), ("A", None), ("A", 70.0), ("A", 71.0)])
def test_rsi_crossings_match_a_per_symbol_reference_loop(rows: list[tuple[str, float | None]]) -> None:
    rows = sorted(rows, key=lambda row: row[0])  # stable: keeps each symbol's bars in order
    frame = pl.DataFrame(
        {
            "symbol": [symbol for symbol, _ in rows],
            "timestamp": list(range(len(rows))),
            "rsi": pl.Series([value for _, value in rows], dtype=pl.Float64),
        }
    )
    events = rsi_signals(frame).filter(pl.col("signal").str.starts_with("rsi_overbought"))
    assert list(zip(events["timestamp"], events["direction"], strict=True)) == reference_level_crossings(
        rows, 70.0
    )


# ---------------------------------------------------------------- errors name the fix


@pytest.mark.parametrize(
    ("function", "frame", "kwargs", "message"),
    [
        (rsi_signals, bars(RSI=[50.0]), {}, r"missing column\(s\) \['rsi'\].*pass the right names as rsi="),
        (rsi_signals, bars(rsi=["50"]), {}, r"cast\(pl.Float64\)"),
        (rsi_signals, bars(rsi=[50.0]), {"upper": 20.0, "lower": 80.0}, "pass lower < upper"),
        (rsi_signals, bars(rsi=[50.0, 60.0]).reverse(), {}, r"sort\('symbol', 'timestamp'\)"),
        (rsi_signals, pl.concat([bars(rsi=[50.0])] * 2), {}, r"unique\(\['symbol', 'timestamp'\]\)"),
        (rsi_signals, bars(rsi=[1.0]).with_columns(timestamp=None), {}, "null 'symbol'/'timestamp'"),
        (rsi_signals, bars(rsi=[50.0]), {"time": "date"}, r"missing column\(s\) \['date'\]"),
        (macd_signals, bars(macd=[1.0]), {}, r"\['macdsignal'\].*macd=\.\.\. and macd_signal="),
        (bollinger_signals, bars(close=[1.0]), {}, r"\['upperband', 'lowerband'\]"),
        (pattern_signals, bars(cdldoji=[1.5]), {"patterns": ["cdldoji"]}, "not integers"),
        (pattern_signals, bars(close=[1.0]), {"patterns": ["cdlhammer"]}, "patterns=\\[...\\]"),
        (detect_signals, bars(close=[1.0], rsi=[1.0]), {}, r"\['macd', 'macdsignal'\]"),
    ],
)
def test_bad_frames_raise_a_parameter_error_that_names_the_fix(
    function: Callable[..., pl.DataFrame], frame: pl.DataFrame, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        function(frame, **kwargs)


def test_public_names_are_exported() -> None:
    assert set(signals.__all__) >= {"detect_signals", "rsi_signals", "EVENT_SCHEMA"}
