"""What every numeric indicator promises beyond TA-Lib: frames of any size and dtype, lazy and streaming
engines, the grouped ``by=`` path, missing bars, and errors that name the function and the fix."""

from __future__ import annotations

from typing import Literal

import numpy as np
import polars as pl
import pytest
from polars.plugins import register_plugin_function
from polars.testing import assert_frame_equal, assert_series_equal

import indicators_rs as ta
from tests.indicators_rs.cases import CASES, Case, assert_case_equals_talib, bars_frame, check_bars_with_gaps

IDS = [str(case) for case in CASES]


def test_every_indicator_of_the_issue_is_exported_and_covered() -> None:
    wanted = {
        "sma", "ema", "wma", "dema", "tema", "trima", "kama", "bbands", "rsi", "macd", "macdfix", "stoch",
        "stochf", "stochrsi", "willr", "cci", "adx", "plus_di", "minus_di", "mfi", "roc", "mom", "ppo", "apo",
        "ultosc", "aroon", "aroonosc", "atr", "natr", "trange", "obv", "ad", "adosc",
    }  # fmt: skip
    assert wanted <= set(ta.INDICATORS)
    assert wanted <= {case.name for case in CASES}


def synthetic_bars(n: int, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    close = 50 + np.cumsum(rng.normal(0, 1, n))
    return bars_frame(close, rng.random(n), rng.integers(1, 1000, n).astype(np.float64))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_empty_and_one_row_frames_give_empty_or_talib_output_without_error(case: Case) -> None:
    for n in (0, 1):
        frame = synthetic_bars(n).with_columns(symbol=pl.lit("AAPL"))
        result = frame.select(
            case.expr(), case.expr().over("symbol").alias("over"), case.expr(by="symbol").alias("by")
        )
        assert result.height == n
        for name in ("out", "over", "by"):
            fields = case.columns(result.select(pl.col(name).alias("out")))
            assert all(field.dtype == pl.Float64 for field in fields)
        assert result["over"].equals(result["out"])
        assert result["by"].equals(result["out"])
        if n == 1:
            assert_case_equals_talib(case, frame, result)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_by_symbol_equals_over_symbol_and_talib_when_segments_are_spread_over_threads(case: Case) -> None:
    # Over 64k rows per thread, so the grouped path really splits the work; symbols of unequal length.
    parts = [
        synthetic_bars(n, seed).with_columns(symbol=pl.lit(f"S{seed}"))
        for seed, n in enumerate((70_000, 5, 90_000, 1))
    ]
    frame = pl.concat(parts)
    grouped = frame.select(case.expr(by="symbol"))
    over = frame.select(case.expr().over("symbol"))
    assert_frame_equal(grouped, over)
    offset = 0
    for part in parts:
        assert_case_equals_talib(case, part, grouped.slice(offset, part.height))
        offset += part.height


@pytest.mark.parametrize("key", [pl.Int64, pl.UInt32, pl.Categorical, pl.String, pl.Float64], ids=str)
def test_by_accepts_integer_string_categorical_and_other_keys(key: type[pl.DataType]) -> None:
    frame = pl.DataFrame({"symbol": [1, 1, 1, 2, 2, 2], "close": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    frame = frame.with_columns(
        pl.col("symbol").cast(pl.String).cast(key) if key is pl.Categorical else pl.col("symbol").cast(key)
    )
    result = frame.select(ta.sma("close", 2, by="symbol"))["close"].to_list()
    assert result == [None, 1.5, 2.5, None, 4.5, 5.5]


def test_multi_input_bar_is_missing_when_any_input_is_missing_and_warm_up_restarts() -> None:
    frame = synthetic_bars(40)
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 20).then(None).otherwise(pl.col("volume")).alias("volume")
    )
    result = frame.select(ta.mfi("high", "low", "close", "volume", timeperiod=5))["high"]
    assert result.slice(0, 5).null_count() == 5
    assert result.slice(5, 15).null_count() == 0
    assert result.slice(20, 6).null_count() == 6  # the gap, then a fresh 5-bar warm-up
    assert result.slice(26).null_count() == 0


@pytest.mark.parametrize("dtype", [pl.Int32, pl.Int64, pl.UInt16, pl.Float32], ids=str)
def test_integer_and_float32_bars_equal_talib_on_the_same_values_as_float64(dtype: type[pl.DataType]) -> None:
    frame = synthetic_bars(300).select(pl.all().round(0).cast(dtype))
    for case in CASES:
        assert_case_equals_talib(case, frame, frame.select(case.expr()))


@pytest.mark.parametrize("engine", ["in-memory", "streaming"])
def test_lazy_engines_equal_eager_for_every_indicator(
    daily_bars: pl.DataFrame, engine: Literal["in-memory", "streaming"]
) -> None:
    exprs = [case.expr().over("symbol").alias(f"over{i}") for i, case in enumerate(CASES)]
    exprs += [case.expr(by="symbol").alias(f"by{i}") for i, case in enumerate(CASES)]
    eager = daily_bars.with_columns(exprs)
    assert_frame_equal(daily_bars.lazy().with_columns(exprs).collect(engine=engine), eager)


def test_namespace_and_functions_agree(daily_bars: pl.DataFrame) -> None:
    close = pl.col("close")
    pairs = [
        (ta.rsi("close", 7), close.ta.rsi(7)),
        (ta.macd("close", 5, 9, 3), close.ta.macd(5, 9, 3)),
        (ta.bbands("close", 10, 1.5, 1.5, 1), close.ta.bbands(10, 1.5, 1.5, 1)),
        (ta.kama("close", 8), close.ta.kama(8)),
        (ta.stochrsi("close"), close.ta.stochrsi()),
    ]
    for function, method in pairs:
        assert_series_equal(daily_bars.select(function).to_series(), daily_bars.select(method).to_series())


def test_mismatched_input_lengths_raise_an_error_naming_the_function() -> None:
    frame = synthetic_bars(10)
    with pytest.raises(pl.exceptions.PolarsError, match=r"atr: input columns have different lengths"):
        frame.select(ta.atr(pl.col("high"), pl.col("low").head(5), pl.col("close"), 3))


def test_non_numeric_input_raises_an_error_naming_the_function_and_the_fix() -> None:
    frame = synthetic_bars(10).with_columns(pl.col("volume").cast(pl.String))
    with pytest.raises(pl.exceptions.PolarsError, match=r"obv: column 'volume' has dtype str.*cast it"):
        frame.select(ta.obv("close", "volume"))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: ta.rsi("close", 1),
            r"rsi: timeperiod=1 is out of range; pass an integer between 2 and 100000",
        ),
        (lambda: ta.macd("close", signalperiod=0), r"macd: signalperiod=0 is out of range"),
        (lambda: ta.bbands("close", matype=8), r"bbands: matype=8 is not supported; pass one of 0 \(SMA\)"),
        (lambda: ta.bbands("close", nbdevup=float("nan")), r"bbands: nbdevup=nan is not a finite number"),
        (lambda: ta.stoch("h", "l", "c", slowd_matype=7), r"stoch: slowd_matype=7 is not supported"),
        (
            lambda: ta.ultosc("h", "l", "c", timeperiod3=100_001),
            r"ultosc: timeperiod3=100001 is out of range",
        ),
    ],
)
def test_bad_parameters_raise_before_any_data_is_touched(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("function", "kwargs", "message"),
    [
        ("rsi", {"timeperiod": 1}, r"rsi: timeperiod=1 is out of range"),
        (
            "bbands",
            {"timeperiod": 5, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 9},
            r"bbands: matype=9 is not",
        ),
        (
            "macd",
            {"fastperiod": 12, "slowperiod": 0, "signalperiod": 9},
            r"macd: slowperiod=0 is out of range",
        ),
    ],
)
def test_kernel_rejects_bad_parameters_even_when_the_wrapper_is_bypassed(
    function: str, kwargs: dict[str, float], message: str
) -> None:
    expr = register_plugin_function(
        plugin_path=ta._PLUGIN_PATH,
        function_name=function,
        args=[pl.col("close")],
        kwargs=kwargs,
        is_elementwise=False,
    )
    with pytest.raises(pl.exceptions.PolarsError, match=message):
        pl.DataFrame({"close": [1.0, 2.0, 3.0]}).select(expr)


NASTY = [
    [1.7e308, -1.7e308, 1.7e308, 5e-324, -5e-324, 0.0, -0.0] * 6,
    [0.0] * 50,
    [float("inf"), float("nan"), None, 1.0] * 10,
    [1e-300 * i for i in range(60)],
]


@pytest.mark.parametrize("values", NASTY, ids=["overflow", "zeros", "missing", "subnormal"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_nasty_inputs_never_panic_and_keep_the_output_shape(case: Case, values: list[float | None]) -> None:
    frame = pl.DataFrame({c: values for c in ("open", "high", "low", "close", "volume")}, nan_to_null=False)
    result = frame.select(case.expr(), case.expr(by="open").alias("by"))
    assert result.height == len(values)


def test_periods_longer_than_the_data_give_all_null_not_an_error() -> None:
    frame = synthetic_bars(20)
    result = frame.select(ta.sma("close", 100_000), ta.adx("high", "low", "close", 50_000).alias("adx"))
    assert result["close"].null_count() == 20
    assert result["adx"].null_count() == 20


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_long_series_with_a_few_gaps_equals_talib_on_each_run(case: Case) -> None:
    # Long enough for the two-core path that computes first and checks for missing bars alongside.
    frame = synthetic_bars(150_000, seed=3)
    for column, row in (("close", 70_000), ("high", 70_010), ("volume", 120_000), ("low", 149_999)):
        frame = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == row).then(float("nan")).otherwise(pl.col(column)).alias(column)
        )
    check_bars_with_gaps(case, frame)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_over_symbol_is_right_when_symbols_are_interleaved(case: Case, daily_bars: pl.DataFrame) -> None:
    interleaved = daily_bars.sort("date", "symbol")
    result = interleaved.with_columns(case.expr().over("symbol"))
    for (_symbol,), bars in result.partition_by("symbol", as_dict=True, maintain_order=True).items():
        assert_case_equals_talib(case, bars, bars)
