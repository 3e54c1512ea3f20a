"""One long series runs on two cores, and must still equal TA-Lib bit for bit whatever the data does around
the split: a recurrence (EMA, RSI, MACD, ATR, NATR, ADX) starts its second half from a guessed state checked
bit for bit against the exact walk; BBANDS computes its average and its deviation side by side; a candlestick
pattern slides its running totals to the middle first."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import polars as pl
import pytest

import indicators_rs as ta
from tests.indicators_rs.cases import CASES, Case, assert_case_equals_talib, bars_frame, check_bars_with_gaps
from tests.indicators_rs.talib_candles import assert_equals_talib as assert_pattern_equals_talib
from tests.indicators_rs.talib_candles import candles_from, random_shapes

#: Rows enough for the two-core path (it needs 65,536 and 16 times the indicator's settling bars).
ROWS = 300_000

RECURRENCES = [
    case
    for case in CASES
    if case.name in {"ema", "rsi", "macd", "macdfix", "atr", "natr", "adx", "bbands"}
    and case.kwargs.get("timeperiod", 2) >= 2
]
IDS = [str(case) for case in RECURRENCES]


def walk(rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    return (100 + np.cumsum(rng.normal(0, 1, ROWS))) * scale


def flat_around_the_split(rng: np.random.Generator) -> np.ndarray:
    # A long flat stretch where the split falls: nothing decays there, so the guess cannot catch up until
    # prices move again.
    close = walk(rng)
    close[ROWS // 2 - 40_000 : ROWS // 2 + 40_000] = close[ROWS // 2 - 40_000]
    return close


def jump_at_the_split(rng: np.random.Generator) -> np.ndarray:
    close = walk(rng)
    close[ROWS // 2 :] += 1e6
    return close


SHAPES: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "random walk": walk,
    "huge prices": lambda rng: walk(rng, 1e150),
    "tiny prices": lambda rng: walk(rng, 1e-150),
    "flat around the split": flat_around_the_split,
    "jump at the split": jump_at_the_split,
}


def long_bars(shape: str, seed: int = 5) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    close = SHAPES[shape](rng)
    spread = rng.random(ROWS) * np.abs(close).mean() * 1e-2
    if shape == "flat around the split":
        spread[ROWS // 2 - 40_000 : ROWS // 2 + 40_000] = 0.0
    return bars_frame(close, spread, rng.integers(1, 1000, ROWS).astype(np.float64))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("case", RECURRENCES, ids=IDS)
def test_a_long_series_split_over_two_cores_equals_talib(case: Case, shape: str) -> None:
    frame = long_bars(shape)
    assert_case_equals_talib(case, frame, frame.select(case.expr()))


@pytest.mark.parametrize("row", [10, ROWS // 2 + 5, ROWS - 3])
@pytest.mark.parametrize("case", RECURRENCES, ids=IDS)
def test_a_missing_bar_anywhere_in_a_long_series_restarts_the_warm_up_after_it(case: Case, row: int) -> None:
    frame = long_bars("random walk").with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(float("nan"))
        .otherwise(pl.col(case.inputs[0]))
        .alias(case.inputs[0])
    )
    check_bars_with_gaps(case, frame)


def test_the_long_path_does_not_depend_on_the_thread_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = long_bars("random walk")
    both = frame.select([case.expr().alias(str(case)) for case in RECURRENCES])
    monkeypatch.setenv("POLARS_MAX_THREADS", "1")
    one = frame.select([case.expr().alias(str(case)) for case in RECURRENCES])
    assert both.equals(one)


@cache
def long_candles(missing_row: int | None = None) -> pl.DataFrame:
    """Random candles, one long series; optionally one bar with a null low."""
    bars = candles_from(random_shapes(np.random.default_rng(12), ROWS), 0.5, 100.0)
    if missing_row is None:
        return bars
    return bars.with_columns(
        pl.when(pl.int_range(pl.len()) == missing_row).then(None).otherwise(pl.col("low")).alias("low")
    )


@pytest.mark.parametrize("name", sorted(ta.PATTERNS))
def test_a_long_candle_series_split_over_two_cores_equals_talib(name: str) -> None:
    # The second half starts from the pattern's running totals slid to the middle: the same bits.
    assert_pattern_equals_talib(name, long_candles())


@pytest.mark.parametrize("name", ["cdlhammer", "cdlengulfing", "cdlmorningstar"])
def test_a_missing_bar_in_a_long_candle_series_restarts_the_pattern_after_it(name: str) -> None:
    assert_pattern_equals_talib(name, long_candles(ROWS // 2 + 7))
