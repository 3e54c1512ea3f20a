"""The candlestick API: grouping, engines, dtypes, edge-sized frames, errors and the docstring examples."""

from __future__ import annotations

import doctest
import importlib
from typing import Literal

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.plugins import register_plugin_function
from polars.testing import assert_frame_equal

import indicators_rs as ta
from indicators_rs.candles import PATTERNS
from tests.indicators_rs.talib_candles import (
    PATTERN_NAMES,
    PENETRATION_DEFAULTS,
    candles_from,
    random_shapes,
    talib_pattern,
)

CANDLE_MODULES = ["", ".body", ".doji", ".hammer", ".star", ".three_candle", ".two_candle"]
PRICES = ["open", "high", "low", "close"]


@pytest.mark.parametrize("module", CANDLE_MODULES)
def test_docstring_examples_run_and_match_their_output(module: str) -> None:
    result = doctest.testmod(
        importlib.import_module("indicators_rs.candles" + module), optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0
    assert result.failed == 0


def test_every_pattern_is_exported_from_the_package_and_named_after_its_function() -> None:
    assert len(PATTERNS) == 25
    for name, function in PATTERNS.items():
        assert getattr(ta, name) is function
        assert name in ta.__all__
        assert function().meta.output_name() == name


def test_over_symbol_equals_talib_per_symbol(daily_bars: pl.DataFrame) -> None:
    result = daily_bars.with_columns(ta.all_patterns(over="symbol"))
    assert result["symbol"].n_unique() >= 4
    for (_symbol,), bars in result.partition_by("symbol", as_dict=True).items():
        for name in PATTERN_NAMES:
            assert bars[name].to_list() == talib_pattern(name, bars.select(PRICES)), name


def test_over_symbol_is_right_when_symbols_are_interleaved(daily_bars: pl.DataFrame) -> None:
    interleaved = daily_bars.sort("date", "symbol")
    result = interleaved.with_columns(
        ta.cdlengulfing().over("symbol"), ta.cdlhammer().over("symbol"), ta.cdlmorningstar().over("symbol")
    )
    for (_symbol,), bars in result.partition_by("symbol", as_dict=True).items():
        for name in ("cdlengulfing", "cdlhammer", "cdlmorningstar"):
            assert bars[name].to_list() == talib_pattern(name, bars.select(PRICES)), name


@given(symbols=st.lists(st.integers(0, 3), max_size=120), seed=st.integers(0, 2**32 - 1))
@settings(deadline=None, max_examples=40)
def test_over_symbol_equals_talib_per_symbol_for_any_grouping(symbols: list[int], seed: int) -> None:
    bars = candles_from(random_shapes(np.random.default_rng(seed), len(symbols)), 1.0, 100.0)
    frame = bars.with_columns(pl.Series("symbol", symbols, dtype=pl.Int64))
    result = frame.with_columns(ta.all_patterns(over="symbol"))
    for _key, group in result.partition_by("symbol", as_dict=True).items():
        for name in PATTERN_NAMES:
            assert group[name].to_list() == talib_pattern(name, group.select(PRICES)), name


@pytest.mark.parametrize("engine", ["in-memory", "streaming"])
def test_lazy_engines_equal_eager(
    daily_bars: pl.DataFrame, engine: Literal["in-memory", "streaming"]
) -> None:
    eager = daily_bars.with_columns(ta.all_patterns(over="symbol"))
    lazy = daily_bars.lazy().with_columns(ta.all_patterns(over="symbol")).collect(engine=engine)
    assert_frame_equal(lazy, eager)


def test_empty_frame_gives_empty_int32_columns() -> None:
    frame = pl.DataFrame(schema={"symbol": pl.String} | dict.fromkeys(PRICES, pl.Float64))
    result = frame.select(*ta.all_patterns(), ta.cdlengulfing().over("symbol").alias("grouped"))
    assert result.height == 0
    assert set(result.schema.values()) == {pl.Int32}
    assert result.width == 26


def test_one_row_frame_gives_nulls_without_error() -> None:
    frame = pl.DataFrame({"symbol": ["AAPL"], "open": [1.0], "high": [2.0], "low": [0.5], "close": [1.5]})
    result = frame.select(*ta.all_patterns(), ta.cdldoji().over("symbol").alias("grouped"))
    assert result.rows() == [(None,) * 26]


@pytest.mark.parametrize("dtype", [pl.Int32, pl.Int64, pl.UInt16, pl.Float32, pl.Decimal(12, 3)], ids=str)
def test_any_numeric_dtype_is_computed_in_float64(dtype: pl.DataType | type[pl.DataType]) -> None:
    bars = candles_from(random_shapes(np.random.default_rng(9), 300), 8.0, 1000.0)
    cast = bars.cast(dict.fromkeys(PRICES, dtype))
    as_float = cast.cast(dict.fromkeys(PRICES, pl.Float64))
    for name in ("cdlengulfing", "cdldoji", "cdlharami", "cdl3whitesoldiers"):
        assert cast.select(PATTERNS[name]()).to_series().to_list() == talib_pattern(name, as_float)


def test_column_of_null_dtype_means_every_bar_is_missing() -> None:
    frame = pl.DataFrame(
        {"open": [1.0, 2.0, 3.0], "high": [None, None, None], "low": [0.0] * 3, "close": [2.0] * 3}
    )
    assert frame.schema["high"] == pl.Null
    assert frame.select(ta.cdlengulfing()).to_series().to_list() == [None, None, None]


def test_names_and_expressions_are_both_accepted() -> None:
    bars = candles_from(random_shapes(np.random.default_rng(4), 100)).rename({"close": "last"})
    by_name = bars.select(ta.cdlharami("open", "high", "low", "last"))
    by_expression = bars.select(ta.cdlharami(pl.col("open"), pl.col("high"), pl.col("low"), pl.col("last")))
    assert_frame_equal(by_name, by_expression)
    assert by_name.columns == ["cdlharami"]


def test_a_scalar_price_is_refused_with_the_lengths_and_the_fix() -> None:
    frame = pl.DataFrame({"open": [1.0, 2.0], "high": [2.0, 3.0], "low": [0.5, 1.0]})
    with pytest.raises(pl.exceptions.PolarsError, match=r"cdlengulfing: .*lengths \[2, 2, 2, 1\]; pass four"):
        frame.select(ta.cdlengulfing(close=pl.lit(1.5)))


@pytest.mark.parametrize("dtype", [pl.String, pl.Boolean, pl.Date, pl.List(pl.Float64)], ids=str)
def test_non_numeric_price_raises_an_error_naming_the_function_column_and_fix(
    dtype: pl.DataType | type[pl.DataType],
) -> None:
    frame = pl.DataFrame(
        {"open": [1.0], "high": [2.0], "low": [0.5], "close": pl.Series([None], dtype=dtype)}
    )
    with pytest.raises(
        pl.exceptions.PolarsError, match=r"cdlhammer: close column 'close' has dtype .*cast it"
    ):
        frame.select(ta.cdlhammer())


@pytest.mark.parametrize("name", sorted(PENETRATION_DEFAULTS))
@pytest.mark.parametrize("penetration", [-0.1, float("nan"), float("inf")])
def test_bad_penetration_raises_a_value_error_naming_the_function(name: str, penetration: float) -> None:
    with pytest.raises(ValueError, match=rf"{name}: penetration=.* out of range.*at least 0"):
        PATTERNS[name](penetration=penetration)  # type: ignore[call-arg]


@pytest.mark.parametrize("penetration", ["0.3", None, True])
def test_non_numeric_penetration_raises_a_type_error(penetration: object) -> None:
    with pytest.raises(TypeError, match=r"cdlmorningstar: penetration must be a number"):
        ta.cdlmorningstar(penetration=penetration)  # type: ignore[arg-type]


def _raw(function_name: str, args: list[pl.Expr], kwargs: dict[str, object] | None = None) -> pl.Expr:
    """The plugin function without the Python wrapper's checks."""
    return register_plugin_function(
        plugin_path=ta._plugin.PLUGIN_PATH,
        function_name=function_name,
        args=args,
        kwargs=kwargs,
        is_elementwise=False,
    )


def test_kernel_rejects_a_bad_penetration_even_when_the_wrapper_is_bypassed() -> None:
    frame = pl.DataFrame({price: [1.0, 2.0, 3.0] for price in PRICES})
    expr = _raw("cdlabandonedbaby", [pl.col(c) for c in PRICES], {"penetration": -1.0})
    with pytest.raises(pl.exceptions.PolarsError, match=r"cdlabandonedbaby: penetration=-1 is out of range"):
        frame.select(expr)


def test_kernel_rejects_the_wrong_number_of_columns() -> None:
    frame = pl.DataFrame({price: [1.0, 2.0, 3.0] for price in PRICES})
    with pytest.raises(pl.exceptions.PolarsError, match=r"cdldoji: got 3 input columns; pass exactly four"):
        frame.select(_raw("cdldoji", [pl.col("open"), pl.col("high"), pl.col("low")]))


def test_by_symbol_equals_talib_per_symbol_on_sorted_data(daily_bars: pl.DataFrame) -> None:
    result = daily_bars.with_columns(ta.all_patterns(by="symbol"))
    for (_symbol,), bars in result.partition_by("symbol", as_dict=True).items():
        for name in PATTERN_NAMES:
            assert bars[name].to_list() == talib_pattern(name, bars.select(PRICES)), name


@given(
    blocks=st.lists(st.integers(0, 40), max_size=8),
    holes=st.lists(st.integers(0, 300), max_size=5),
    seed=st.integers(0, 2**32 - 1),
)
@settings(deadline=None, max_examples=40)
def test_by_equals_over_for_contiguous_symbols_with_missing_bars(
    blocks: list[int], holes: list[int], seed: int
) -> None:
    symbols = [f"S{k}" for k, size in enumerate(blocks) for _ in range(size)]
    bars = candles_from(random_shapes(np.random.default_rng(seed), len(symbols)), 1.0, 100.0)
    frame = bars.with_columns(pl.Series("symbol", symbols, dtype=pl.String)).with_row_index()
    frame = frame.with_columns(
        pl.when(pl.col("index").is_in(holes)).then(None).otherwise(pl.col("low")).alias("low")
    )
    by = frame.select(ta.all_patterns(by="symbol"))
    over = frame.select(ta.all_patterns(over="symbol"))
    assert_frame_equal(by, over)
    assert_frame_equal(by, frame.select([pl.Expr.over(e, "symbol") for e in ta.all_patterns()]))


def test_by_over_many_symbols_uses_threads_and_still_equals_over() -> None:
    rows_per_symbol, symbols = 150, 1_000
    bars = candles_from(random_shapes(np.random.default_rng(8), rows_per_symbol * symbols), 0.5, 100.0)
    frame = bars.with_columns(symbol=pl.int_range(pl.len()) // rows_per_symbol)
    assert frame.height >= 2 * 64 * 1024
    assert_frame_equal(
        frame.select(ta.all_patterns(by="symbol")),
        frame.select([pl.Expr.over(e, "symbol") for e in ta.all_patterns()]),
    )


def test_all_patterns_refuses_both_by_and_over() -> None:
    with pytest.raises(ValueError, match=r"all_patterns: pass either by= or over= .*not both"):
        ta.all_patterns(by="symbol", over="symbol")
