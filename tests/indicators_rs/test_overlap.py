"""Overlap studies (``indicators_rs.sma``) against TA-Lib 0.8.1, the numeric reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
import talib
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polars.plugins import register_plugin_function
from polars.testing import assert_frame_equal, assert_series_equal

import indicators_rs
from indicators_rs import sma

FloatArray = npt.NDArray[np.float64]

periods = st.integers(min_value=1, max_value=40)
finite_floats = st.floats(allow_nan=False, allow_infinity=False, width=64)
magnitudes = st.sampled_from([5e-324, 1e-300, 1e-12, 1.0, 1e12, 1e300])


@st.composite
def random_walks(draw: st.DrawFn) -> list[float]:
    """Prices that wander from a start by small steps, at scales from subnormal to near overflow."""
    start = draw(st.floats(min_value=0.01, max_value=1e4))
    steps = draw(st.lists(st.floats(min_value=-1.0, max_value=1.0), max_size=300))
    scale = draw(magnitudes)
    return [float(v) for v in (start + np.cumsum(np.asarray(steps, dtype=np.float64))) * scale]


@st.composite
def flat_runs(draw: st.DrawFn) -> list[float]:
    """Prices that stay at one level for a while, then jump: the running total must cancel exactly."""
    levels = draw(st.lists(st.tuples(finite_floats, st.integers(1, 60)), max_size=8))
    return [value for value, repeat in levels for _ in range(repeat)]


def talib_sma(values: FloatArray, timeperiod: int) -> FloatArray:
    """TA-Lib's SMA on a float64 copy of ``values``."""
    result: FloatArray = talib.SMA(np.ascontiguousarray(values, dtype=np.float64), timeperiod=timeperiod)
    return result


def talib_sma_per_run(values: FloatArray, timeperiod: int) -> FloatArray:
    """The documented missing-bar rule: TA-Lib on each maximal run of finite values, NaN in the gaps."""
    expected = np.full(len(values), np.nan)
    valid = np.isfinite(values)
    start = 0
    while start < len(values):
        if not valid[start]:
            start += 1
            continue
        end = start
        while end < len(values) and valid[end]:
            end += 1
        expected[start:end] = talib_sma(values[start:end], timeperiod)
        start = end
    return expected


def assert_equals_talib(actual: pl.Series, expected: FloatArray) -> None:
    """Null exactly where TA-Lib has NaN, and the same float64 bits everywhere else."""
    assert actual.dtype == pl.Float64
    assert len(actual) == len(expected)
    missing = np.isnan(expected)
    null = actual.is_null().to_numpy()
    assert np.array_equal(null, missing), (
        f"null rows {np.flatnonzero(null)} != NaN rows {np.flatnonzero(missing)}"
    )
    got = actual.to_numpy()[~missing]
    want = expected[~missing]
    same = got.view(np.uint64) == want.view(np.uint64)
    assert np.array_equal(got, want, equal_nan=True), f"first difference at {np.flatnonzero(~same)[:1]}"
    assert same.all(), f"bits differ at {np.flatnonzero(~same)[:5]}: {got[~same][:5]} vs {want[~same][:5]}"


def sma_of(
    values: Sequence[object] | FloatArray, timeperiod: int, dtype: type[pl.DataType] = pl.Float64
) -> pl.Series:
    """Run the plugin on one column built from ``values``."""
    frame = pl.DataFrame({"close": values}, schema={"close": dtype}, nan_to_null=False)
    return frame.select(sma("close", timeperiod))["close"]


@given(values=random_walks(), timeperiod=periods)
@settings(deadline=None)
@example(values=[], timeperiod=2)
@example(values=[101.5], timeperiod=2)
@example(values=[1.0, 2.0], timeperiod=2)
@example(values=[1.0, 2.0, 3.0], timeperiod=4)
@example(values=[0.1] * 50, timeperiod=3)
@example(values=[1e16, 1.0, -1e16, 1.0, 3.0, 1e-16], timeperiod=2)
def test_sma_equals_talib_on_random_walks(values: list[float], timeperiod: int) -> None:
    array = np.asarray(values, dtype=np.float64)
    assert_equals_talib(sma_of(array, timeperiod), talib_sma(array, timeperiod))


@given(values=flat_runs(), timeperiod=periods)
@settings(deadline=None)
@example(values=[7.0] * 40, timeperiod=30)
@example(values=[0.0] * 5 + [-0.0] * 5, timeperiod=3)
def test_sma_equals_talib_on_flat_runs(values: list[float], timeperiod: int) -> None:
    array = np.asarray(values, dtype=np.float64)
    assert_equals_talib(sma_of(array, timeperiod), talib_sma(array, timeperiod))


@given(values=st.lists(finite_floats, max_size=200), timeperiod=periods)
@settings(deadline=None)
@example(values=[1.7e308, 1.7e308, -1.7e308, 1.0, 2.0], timeperiod=2)
@example(values=[5e-324, 1e-320, -5e-324, 2.2e-308], timeperiod=2)
@example(values=[1e300, 1e-300, -1e300, 1e-300], timeperiod=3)
def test_sma_equals_talib_on_any_finite_values_even_when_the_total_overflows(
    values: list[float], timeperiod: int
) -> None:
    array = np.asarray(values, dtype=np.float64)
    assert_equals_talib(sma_of(array, timeperiod), talib_sma(array, timeperiod))


def test_sma_equals_talib_on_real_daily_closes(daily_bars: pl.DataFrame) -> None:
    closes = daily_bars.filter(pl.col("symbol") == "AAPL")["close"]
    for timeperiod in (2, 5, 20, 30, 200):
        result = closes.to_frame().select(sma("close", timeperiod))["close"]
        assert_equals_talib(result, talib_sma(closes.to_numpy(), timeperiod))


@pytest.mark.parametrize("timeperiod", [2, 20, 200])
def test_sma_over_symbol_equals_talib_per_symbol(daily_bars: pl.DataFrame, timeperiod: int) -> None:
    result = daily_bars.with_columns(pl.col("close").ta.sma(timeperiod).over("symbol").alias("sma"))
    assert daily_bars["symbol"].n_unique() >= 4
    for (symbol,), bars in result.partition_by("symbol", as_dict=True).items():
        assert bars.height > 0, symbol
        assert_equals_talib(bars["sma"], talib_sma(bars["close"].to_numpy(), timeperiod))


def test_sma_over_symbol_is_right_when_symbols_are_interleaved(daily_bars: pl.DataFrame) -> None:
    interleaved = daily_bars.sort("date", "symbol")
    result = interleaved.with_columns(sma("close", 10).over("symbol").alias("sma"))
    for (_symbol,), bars in result.partition_by("symbol", as_dict=True).items():
        assert_equals_talib(bars["sma"], talib_sma(bars["close"].to_numpy(), 10))


@given(
    rows=st.lists(st.tuples(st.integers(0, 3), st.floats(min_value=-1e6, max_value=1e6)), max_size=120),
    timeperiod=st.integers(2, 6),
)
@settings(deadline=None)
def test_sma_over_symbol_equals_talib_per_symbol_for_any_grouping(
    rows: list[tuple[int, float]], timeperiod: int
) -> None:
    frame = pl.DataFrame(rows, schema={"symbol": pl.Int64, "close": pl.Float64}, orient="row")
    result = frame.with_columns(sma("close", timeperiod).over("symbol").alias("sma"))
    for _key, bars in result.partition_by("symbol", as_dict=True).items():
        assert_equals_talib(bars["sma"], talib_sma(bars["close"].to_numpy(), timeperiod))


def test_interior_missing_bar_restarts_warm_up_instead_of_poisoning_later_rows() -> None:
    result = sma_of([1.0, 2.0, 3.0, None, 5.0, 6.0, 7.0], 2)
    assert result.to_list() == [None, 1.5, 2.5, None, None, 5.5, 6.5]


@pytest.mark.parametrize("missing", [None, float("nan"), float("inf"), float("-inf")])
def test_any_kind_of_missing_bar_is_a_gap_and_stays_null(missing: float | None) -> None:
    result = sma_of([1.0, 2.0, 3.0, missing, 5.0, 6.0, 7.0], 3)
    assert result.to_list() == [None, None, 2.0, None, None, None, 6.0]


@given(
    bars=st.lists(
        st.one_of(
            finite_floats,
            st.sampled_from([None, float("nan"), float("inf"), float("-inf")]),
        ),
        max_size=200,
    ),
    timeperiod=periods,
)
@settings(deadline=None)
@example(bars=[None, 1.0, 2.0, float("nan"), 3.0, 4.0, 5.0, None], timeperiod=2)
@example(bars=[1.0, None, 2.0, None, 3.0], timeperiod=2)
@example(bars=[None, None, None], timeperiod=2)
def test_sma_equals_talib_on_each_run_between_missing_bars(bars: list[float | None], timeperiod: int) -> None:
    values = np.asarray([np.nan if v is None else v for v in bars], dtype=np.float64)
    assert_equals_talib(sma_of(bars, timeperiod), talib_sma_per_run(values, timeperiod))


def test_sma_with_leading_nulls_equals_talib_with_leading_nans(daily_bars: pl.DataFrame) -> None:
    closes = daily_bars.filter(pl.col("symbol") == "IBM")["close"].to_list()
    values: list[float | None] = [None] * 25 + closes
    expected = talib_sma(np.asarray([np.nan] * 25 + closes), 20)
    assert_equals_talib(sma_of(values, 20), expected)


def test_empty_frame_gives_an_empty_float64_column() -> None:
    frame = pl.DataFrame({"symbol": [], "close": []}, schema={"symbol": pl.String, "close": pl.Float64})
    result = frame.select(sma("close", 5), sma("close", 5).over("symbol").alias("grouped"))
    assert result.height == 0
    assert result.schema == pl.Schema({"close": pl.Float64, "grouped": pl.Float64})


def test_one_row_frame_gives_null_without_error() -> None:
    frame = pl.DataFrame({"symbol": ["AAPL"], "close": [101.5]})
    result = frame.select(sma("close", 2), sma("close", 2).over("symbol").alias("grouped"))
    assert result.rows() == [(None, None)]
    assert result.schema == pl.Schema({"close": pl.Float64, "grouped": pl.Float64})


@given(
    values=st.lists(st.one_of(st.none(), st.integers(-(2**62), 2**62)), max_size=100),
    timeperiod=periods,
)
@settings(deadline=None)
@example(values=[2**53 + 1, 2**53 + 3, 1, -(2**62)], timeperiod=2)
def test_int64_input_equals_talib_on_the_same_values_as_float64(
    values: list[int | None], timeperiod: int
) -> None:
    as_float = np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
    result = sma_of(values, timeperiod, pl.Int64)
    assert_equals_talib(result, talib_sma_per_run(as_float, timeperiod))


@given(
    values=st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False), max_size=100),
    timeperiod=periods,
)
@settings(deadline=None)
def test_float32_input_equals_talib_on_the_same_values_as_float64(
    values: list[float], timeperiod: int
) -> None:
    as_float = np.asarray(values, dtype=np.float32).astype(np.float64)
    assert_equals_talib(sma_of(values, timeperiod, pl.Float32), talib_sma(as_float, timeperiod))


NUMERIC_DTYPES = [
    pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.Int128,
    pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64, pl.UInt128,
    pl.Float16, pl.Float32, pl.Float64, pl.Decimal(10, 2),
]  # fmt: skip


@pytest.mark.parametrize("dtype", NUMERIC_DTYPES, ids=str)
def test_every_numeric_dtype_is_cast_to_float64(dtype: pl.DataType | type[pl.DataType]) -> None:
    frame = pl.DataFrame({"close": [1, 2, 3, None, 4, 5, 6]}).cast({"close": dtype})
    result = frame.select(sma("close", 2))["close"]
    assert result.dtype == pl.Float64
    assert result.to_list() == [None, 1.5, 2.5, None, None, 4.5, 5.5]


def test_column_of_null_dtype_is_all_missing_bars_and_gives_nulls() -> None:
    result = pl.DataFrame({"close": [None, None, None]}).select(sma("close", 2))["close"]
    assert result.dtype == pl.Float64
    assert result.to_list() == [None, None, None]


@pytest.mark.parametrize("engine", ["in-memory", "streaming"])
def test_lazy_engines_equal_eager(
    daily_bars: pl.DataFrame, engine: Literal["in-memory", "streaming"]
) -> None:
    def query(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
        return frame.with_columns(
            sma("close", 20).over("symbol").alias("sma20"),
            pl.col("volume").ta.sma(5).over("symbol").alias("volume_sma5"),
        )

    eager = query(daily_bars)
    lazy = query(daily_bars.lazy())
    assert isinstance(eager, pl.DataFrame)
    assert isinstance(lazy, pl.LazyFrame)
    assert_frame_equal(lazy.collect(engine=engine), eager)


def test_column_name_and_expression_inputs_agree(daily_bars: pl.DataFrame) -> None:
    by_name = daily_bars.select(sma("close", 10))["close"]
    by_expr = daily_bars.select(sma(pl.col("close"), 10))["close"]
    by_namespace = daily_bars.select(pl.col("close").ta.sma(10))["close"]
    assert_series_equal(by_name, by_expr)
    assert_series_equal(by_name, by_namespace)


def test_default_timeperiod_is_talibs_thirty(daily_bars: pl.DataFrame) -> None:
    closes = daily_bars.filter(pl.col("symbol") == "MSFT")
    assert_equals_talib(closes.select(sma("close"))["close"], talib.SMA(closes["close"].to_numpy()))


NON_NUMERIC_COLUMNS = [
    pl.Series("close", ["1.0", "2.0"]),
    pl.Series("close", [True, False]),
    pl.Series("close", [date(2020, 1, 1), date(2020, 1, 2)]),
    pl.Series("close", [datetime(2020, 1, 1), datetime(2020, 1, 2)]),
    pl.Series("close", ["a", "b"], dtype=pl.Categorical),
    pl.Series("close", ["a", "b"], dtype=pl.Enum(["a", "b"])),
    pl.Series("close", [[1.0], [2.0]]),
    pl.Series("close", [[1.0], [2.0]], dtype=pl.Array(pl.Float64, 1)),
    pl.Series("close", [{"price": 1.0}, {"price": 2.0}]),
    pl.Series("close", [b"1", b"2"]),
]


@pytest.mark.parametrize("column", NON_NUMERIC_COLUMNS, ids=lambda column: str(column.dtype))
def test_non_numeric_column_raises_an_error_naming_sma_and_the_fix(column: pl.Series) -> None:
    with pytest.raises(pl.exceptions.PolarsError, match=r"sma: column 'close' has dtype .*cast it"):
        column.to_frame().select(sma("close", 2))


@pytest.mark.parametrize("timeperiod", [-5, 0, 100_001])
def test_out_of_range_timeperiod_raises_an_error_naming_sma_and_the_fix(timeperiod: int) -> None:
    with pytest.raises(ValueError, match=rf"sma: timeperiod={timeperiod} .*between 1 and 100000"):
        sma("close", timeperiod)
    with pytest.raises(ValueError, match=r"sma: .*between 1 and 100000"):
        pl.col("close").ta.sma(timeperiod)


@pytest.mark.parametrize("timeperiod", [2.5, "20", True, None])
def test_non_integer_timeperiod_raises_a_type_error_naming_sma(timeperiod: object) -> None:
    with pytest.raises(TypeError, match=r"sma: timeperiod must be an int.*whole number of bars"):
        sma("close", timeperiod)  # type: ignore[arg-type]


@pytest.mark.parametrize("timeperiod", [0, -1, 100_001])
def test_kernel_rejects_a_bad_timeperiod_even_when_the_wrapper_is_bypassed(timeperiod: int) -> None:
    expr = register_plugin_function(
        plugin_path=indicators_rs._PLUGIN_PATH,
        function_name="sma",
        args=pl.col("close"),
        kwargs={"timeperiod": timeperiod},
        is_elementwise=False,
    )
    with pytest.raises(
        pl.exceptions.PolarsError, match=rf"sma: timeperiod={timeperiod} .*between 1 and 100000"
    ):
        pl.DataFrame({"close": [1.0, 2.0, 3.0]}).select(expr)
