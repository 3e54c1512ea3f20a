"""Candlestick patterns (``indicators_rs.candles``) against TA-Lib 0.8.1, the reference."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import indicators_rs as ta
from tests.indicators_rs.talib_candles import (
    BODIES,
    GAPS,
    PATTERN_NAMES,
    PENETRATION_DEFAULTS,
    SHADOWS,
    Shape,
    assert_equals_talib,
    candles_from,
    lookback,
    random_shapes,
    talib_pattern,
)

shapes = st.tuples(
    st.integers(0, len(BODIES) - 1),
    st.booleans(),
    st.integers(0, len(SHADOWS) - 1),
    st.integers(0, len(SHADOWS) - 1),
    st.integers(0, len(GAPS) - 1),
)
scales = st.sampled_from([1.0, 0.1, 0.01, 2.0**-30, 1e-9, 1e6, 1e12, 1e300])
bases = st.sampled_from([0.0, 100.0, 12345.678])

FLAT: list[Shape] = [(0, True, 0, 0, 4)] * 30
DOJIS_AND_GAPS: list[Shape] = [(0, True, 2, 2, 0), (0, False, 5, 0, 9), (1, True, 0, 5, 0)] * 10


def test_every_pattern_is_tested() -> None:
    assert len(PATTERN_NAMES) == 25
    assert set(PENETRATION_DEFAULTS) <= set(PATTERN_NAMES)


@given(candles=st.lists(shapes, max_size=150), scale=scales, base=bases)
@settings(deadline=None, max_examples=80)
@example(candles=[], scale=1.0, base=0.0)
@example(candles=[(3, True, 1, 1, 4)], scale=1.0, base=0.0)
@example(candles=FLAT, scale=1.0, base=100.0)
@example(candles=DOJIS_AND_GAPS, scale=0.1, base=100.0)
@example(candles=DOJIS_AND_GAPS, scale=1e300, base=0.0)
@example(candles=DOJIS_AND_GAPS, scale=5e-324, base=0.0)
@example(candles=[(5, True, 5, 5, 4), (5, False, 5, 5, 4)] * 15, scale=1e307, base=0.0)
def test_every_pattern_equals_talib_on_generated_candles(
    candles: list[Shape], scale: float, base: float
) -> None:
    bars = candles_from(candles, scale, base)
    for name in PATTERN_NAMES:
        assert_equals_talib(name, bars)


@given(
    candles=st.lists(shapes, min_size=12, max_size=80),
    penetration=st.one_of(st.sampled_from([0.0, 0.25, 0.3, 0.5, 1.0]), st.floats(0.0, 2.0)),
)
@settings(deadline=None, max_examples=60)
def test_penetration_patterns_equal_talib_for_any_penetration(
    candles: list[Shape], penetration: float
) -> None:
    bars = candles_from(candles, 0.5, 50.0)
    for name in PENETRATION_DEFAULTS:
        assert_equals_talib(name, bars, penetration)


def test_every_pattern_fires_and_equals_talib_on_a_long_generated_series() -> None:
    bars = candles_from(random_shapes(np.random.default_rng(20260405), 40_000), 0.25, 1000.0)
    counts = {name: assert_equals_talib(name, bars) for name in PATTERN_NAMES}
    silent = [name for name, count in counts.items() if count == 0]
    assert not silent, f"patterns that never fired: {silent}; counts {counts}"


@pytest.mark.parametrize("name", sorted(PENETRATION_DEFAULTS))
def test_default_penetration_is_talibs(name: str) -> None:
    bars = candles_from(random_shapes(np.random.default_rng(3), 3_000))
    assert_equals_talib(name, bars)
    assert_equals_talib(name, bars, PENETRATION_DEFAULTS[name])


def test_every_pattern_equals_talib_on_real_daily_bars(daily_bars: pl.DataFrame) -> None:
    signals = 0
    for (_symbol,), bars in daily_bars.partition_by("symbol", as_dict=True).items():
        prices = bars.select("open", "high", "low", "close")
        for name in PATTERN_NAMES:
            signals += assert_equals_talib(name, prices)
    assert signals > 10_000


MISSING = st.sampled_from([None, math.nan, math.inf, -math.inf])


@given(
    candles=st.lists(shapes, max_size=100),
    holes=st.lists(st.tuples(st.integers(0, 99), st.integers(0, 3), MISSING), max_size=6),
)
@settings(deadline=None, max_examples=50)
@example(candles=DOJIS_AND_GAPS, holes=[(0, 0, None), (13, 3, math.nan), (14, 1, math.inf)])
def test_each_run_between_missing_bars_equals_talib_on_that_run(
    candles: list[Shape], holes: list[tuple[int, int, float | None]]
) -> None:
    columns = candles_from(candles, 1.0, 100.0).to_dict(as_series=False)
    names = list(columns)
    for row, column, value in holes:
        if row < len(candles):
            columns[names[column]][row] = value
    bars = pl.DataFrame(columns, schema=dict.fromkeys(names, pl.Float64), nan_to_null=False)
    for name in PATTERN_NAMES:
        assert_equals_talib(name, bars)


def test_missing_bar_restarts_the_warm_up_instead_of_silencing_the_rest() -> None:
    bars = candles_from(random_shapes(np.random.default_rng(11), 60)).with_row_index()
    holed = bars.with_columns(
        pl.when(pl.col("index") == 20).then(None).otherwise(pl.col("close")).alias("close")
    ).drop("index")
    result = holed.select(ta.cdldoji()).to_series()
    assert result[20] is None
    assert result[21:31].null_count() == 10
    assert result[31:].null_count() == 0
    assert result.to_list() == talib_pattern("cdldoji", holed)


@pytest.mark.parametrize("name", PATTERN_NAMES)
def test_warm_up_rows_are_null_exactly_for_talibs_lookback(name: str) -> None:
    bars = candles_from(random_shapes(np.random.default_rng(5), 40))
    result = bars.select(ta.PATTERNS[name]()).to_series()
    assert result.null_count() == lookback(name)
    assert result[: lookback(name)].null_count() == lookback(name)
