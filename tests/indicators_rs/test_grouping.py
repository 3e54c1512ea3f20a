"""Per-symbol computation: ``.over(keys)`` on an indicator runs as one grouped plugin call (``by=``), with
exactly the semantics and values of Polars' own ``.over`` whatever the row order, key dtype or number of
keys."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal, assert_series_equal

import indicators_rs as ta
from indicators_rs._plugin import IndicatorExpr
from tests.indicators_rs.cases import CASES, Case, assert_case_equals_talib, bars_frame

IDS = [str(case) for case in CASES]


def native_over(expr: pl.Expr, *keys: str) -> pl.Expr:
    """Polars' own window machinery on ``expr``, bypassing the routing."""
    return pl.Expr.over(expr, *keys)


def interleaved_bars(symbols: int = 4, bars: int = 60, seed: int = 3) -> pl.DataFrame:
    """Bars of several symbols in time order, so each symbol's rows are spread over the frame; one symbol
    is null, and symbols have different lengths."""
    rng = np.random.default_rng(seed)
    parts = []
    for s in range(symbols):
        n = bars + 7 * s
        close = 50 + np.cumsum(rng.normal(0, 1, n))
        frame = bars_frame(close, rng.random(n), rng.integers(1, 1000, n).astype(np.float64))
        parts.append(
            frame.with_columns(symbol=pl.lit(None if s == 1 else f"S{s}", pl.String), t=pl.int_range(n))
        )
    return pl.concat(parts).sample(fraction=1.0, shuffle=True, seed=seed).sort("t", maintain_order=True)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_over_on_interleaved_symbols_equals_polars_over_and_talib_per_symbol(case: Case) -> None:
    frame = interleaved_bars()
    result = frame.with_columns(
        case.expr().over("symbol"),
        native_over(case.expr(), "symbol").alias("native"),
        case.expr(by="symbol").alias("by"),
    )
    assert_series_equal(result["out"], result["native"], check_names=False)
    assert_series_equal(result["out"], result["by"], check_names=False)
    for (_symbol,), bars in result.partition_by("symbol", as_dict=True, maintain_order=True).items():
        assert_case_equals_talib(case, bars, bars)


def test_over_routes_to_one_grouped_call_and_keeps_the_output_name() -> None:
    routed = ta.rsi("close").over("symbol")
    assert ".over(" not in str(routed)
    assert ".over(" in str(native_over(ta.rsi("close"), "symbol"))
    frame = interleaved_bars()
    assert frame.select(routed).columns == ["close"]
    assert frame.select(ta.rsi("close").alias("rsi").over("symbol")).columns == ["rsi"]
    assert frame.select(ta.cdlhammer().over("symbol")).columns == ["cdlhammer"]


def test_routing_survives_alias_and_other_methods_fall_back_to_polars_over() -> None:
    frame = interleaved_bars()
    aliased = ta.sma("close", 5).alias("sma")
    assert isinstance(aliased, IndicatorExpr)
    assert ".over(" not in str(aliased.over("symbol"))
    rounded = ta.sma("close", 5).round(2).over("symbol")
    assert ".over(" in str(rounded)
    want = frame.select(native_over(ta.sma("close", 5), "symbol").round(2).alias("sma"))
    assert_frame_equal(frame.select(rounded.alias("sma")), want)


def test_over_with_order_by_is_polars_own_window_and_sorts_each_symbol() -> None:
    frame = interleaved_bars().sample(fraction=1.0, shuffle=True, seed=9)
    ordered = ta.ema("close", 5).over("symbol", order_by="t")
    assert ".over(" in str(ordered)
    result = frame.with_columns(ordered.alias("ema")).sort("symbol", "t")
    want = frame.sort("symbol", "t").with_columns(native_over(ta.ema("close", 5), "symbol").alias("ema"))
    assert_frame_equal(result, want)


def test_several_keys_and_by_plus_over_group_by_every_key() -> None:
    frame = interleaved_bars().with_columns(venue=(pl.col("t") % 3).cast(pl.Int8))
    want = frame.select(native_over(ta.macd("close", 3, 6, 2), "symbol", "venue"))
    assert_frame_equal(frame.select(ta.macd("close", 3, 6, 2).over("symbol", "venue")), want)
    assert_frame_equal(frame.select(ta.macd("close", 3, 6, 2).over(["symbol", "venue"])), want)
    assert_frame_equal(frame.select(ta.macd("close", 3, 6, 2, by=["symbol", "venue"])), want)
    assert_frame_equal(frame.select(ta.macd("close", 3, 6, 2, by="symbol").over("venue")), want)
    assert_frame_equal(
        frame.select(ta.macd("close", 3, 6, 2, by=pl.col("symbol")).over(pl.col("venue"))), want
    )


def test_by_groups_a_symbol_whose_rows_are_not_contiguous_like_over() -> None:
    frame = pl.DataFrame({"symbol": ["A", "A", "B", "B", "A", "A"], "close": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    result = frame.select(ta.sma("close", 2, by="symbol"))["close"].to_list()
    assert result == [None, 1.5, None, 3.5, 3.5, 5.5]


KEYS = {
    "categorical": pl.col("symbol").cast(pl.Categorical),
    "enum": pl.col("symbol").cast(pl.Enum(["S0", "S2", "S3"])),
    "int64": pl.col("symbol").str.slice(1).cast(pl.Int64),
    "uint64 max": pl.when(pl.col("symbol") == "S0").then(pl.lit(2**64 - 1, pl.UInt64)).otherwise(7),
    "float with nan and -0.0": pl.col("symbol").replace_strict(
        {"S0": 0.0, "S2": -0.0, "S3": float("nan")}, default=1.5
    ),
    "date": pl.col("symbol").str.slice(1).cast(pl.Int32).cast(pl.Date),
    "datetime": pl.col("symbol").str.slice(1).cast(pl.Int64).cast(pl.Datetime("us")),
    "boolean": pl.col("symbol") == "S2",
    "binary": pl.col("symbol").cast(pl.Binary),
    "decimal": pl.col("symbol").str.slice(1).cast(pl.Decimal(10, 2)),
}


@pytest.mark.parametrize("key", KEYS.values(), ids=KEYS.keys())
def test_every_key_dtype_groups_like_polars_over(key: pl.Expr) -> None:
    frame = interleaved_bars().with_columns(key=key)
    for expr in (ta.adx("high", "low", "close", 5), ta.cdlengulfing()):
        assert_frame_equal(frame.select(expr.over("key")), frame.select(native_over(expr, "key")))


def test_a_struct_key_groups_like_polars_over() -> None:
    frame = interleaved_bars().with_columns(
        key=pl.struct(pl.col("symbol"), venue=pl.col("t") % 2),
        date=dt.date(2026, 1, 1) + pl.duration(days="t"),
    )
    expr = ta.atr("high", "low", "close", 4)
    assert_frame_equal(frame.select(expr.over("key")), frame.select(native_over(expr, "key")))
    # Null struct rows are one group, whatever their fields hold underneath.
    keys = pl.Series("key", [{"s": "A", "v": k % 3} for k in range(frame.height)])
    nulls = pl.Series([k % 7 == 0 for k in range(frame.height)])
    frame = frame.with_columns(key=pl.when(nulls).then(None).otherwise(keys))
    assert_frame_equal(frame.select(expr.over("key")), frame.select(native_over(expr, "key")))


def test_a_key_of_an_unsupported_dtype_names_the_fix() -> None:
    frame = interleaved_bars().with_columns(key=pl.concat_list("t", "t"))
    with pytest.raises(pl.exceptions.PolarsError, match=r"rsi: cannot group by column 'key' of dtype"):
        frame.select(ta.rsi("close").over("key"))


@pytest.mark.parametrize("engine", ["in-memory", "streaming"])
def test_lazy_engines_route_over_too(engine: str) -> None:
    frame = interleaved_bars()
    exprs = [ta.bbands("close", 5).over("symbol").alias("bb"), ta.cdldoji().over("symbol")]
    want = frame.with_columns(
        native_over(ta.bbands("close", 5), "symbol").alias("bb"), native_over(ta.cdldoji(), "symbol")
    )
    assert_frame_equal(frame.lazy().with_columns(exprs).collect(engine=engine), want)  # type: ignore[call-overload]


def test_all_patterns_over_equals_polars_over_on_interleaved_symbols() -> None:
    frame = interleaved_bars()
    routed = frame.select(ta.all_patterns(over="symbol"))
    native = frame.select([native_over(expr, "symbol") for expr in ta.all_patterns()])
    assert_frame_equal(routed, native)
    assert_frame_equal(frame.select(ta.all_patterns(by="symbol")), native)


def test_inputs_that_are_not_plain_columns_get_polars_over_so_they_are_computed_per_symbol_too() -> None:
    frame = interleaved_bars()
    cases = [
        ta.sma(pl.col("close").diff(), 3),
        ta.ema(ta.rsi("close", 5), 4),
        ta.atr("high", "low", pl.col("close").shift(1).fill_null(strategy="forward")),
        ta.cdlhammer(pl.col("open") - pl.col("open").mean(), "high", "low", "close"),
    ]
    for expr in cases:
        assert ".over(" in str(expr.over("symbol"))
        assert_frame_equal(frame.select(expr.over("symbol")), frame.select(native_over(expr, "symbol")))


def test_keys_that_are_not_one_plain_column_get_polars_over() -> None:
    frame = interleaved_bars().with_columns(venue=pl.col("t") % 2)
    expr = ta.rsi("close", 5)
    for key in (pl.col("symbol").fill_null("none"), pl.col("venue") * 2, pl.lit("all")):
        routed = expr.over(key)
        assert ".over(" in str(routed)
        assert_frame_equal(frame.select(routed), frame.select(pl.Expr.over(expr, key)))


def test_a_pickled_indicator_still_aliases_and_overs() -> None:
    import pickle

    frame = interleaved_bars()
    restored = pickle.loads(pickle.dumps(ta.rsi("close", 5)))
    result = frame.select(restored.alias("rsi").over("symbol"))
    assert_frame_equal(result, frame.select(native_over(ta.rsi("close", 5), "symbol").alias("rsi")))
