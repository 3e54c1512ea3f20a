"""Technical analysis: spec spellings, TA-Lib parity per symbol on many symbols, snapshots, signals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl
import pytest
import talib

from marketjobs.analysis.signals import detect_signals
from marketjobs.analysis.technical import (
    DEFAULT_INDICATORS,
    analyse_bars,
    compute_indicators,
    latest_snapshots,
    output_columns,
    signal_events,
)
from marketjobs.analysis.technical_specs import (
    INDICATOR_FUNCTIONS,
    parse_indicator,
    parse_indicators,
    parse_patterns,
)
from marketjobs.errors import ParameterError

START = datetime(2020, 1, 1, tzinfo=UTC)


def make_bars(lengths: dict[str, int], seed: int = 7) -> pl.DataFrame:
    """Random-walk OHLCV bars per symbol, sorted by (symbol, ts)."""
    rng = np.random.default_rng(seed)
    frames = []
    for symbol, n in lengths.items():
        close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
        open_ = np.concatenate([[close[0]], close[:-1]]) * (1 + rng.normal(0, 0.005, n))
        high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.01, n)))
        low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.01, n)))
        frames.append(
            pl.DataFrame(
                {
                    "symbol": symbol,
                    "ts": [START + timedelta(days=i) for i in range(n)],
                    "open": open_,
                    "high": high,
                    "low": low,
                    "close": close,
                    "volume": rng.integers(1_000, 100_000, n).astype(float),
                }
            )
        )
    return pl.concat(frames).with_columns(pl.col("ts").dt.cast_time_unit("ms"))


@pytest.mark.parametrize(
    ("spec", "label", "params", "outputs"),
    [
        ("RSI_14", "rsi_14", {"timeperiod": 14}, ("rsi_14",)),
        ("rsi", "rsi_14", {"timeperiod": 14}, ("rsi_14",)),
        ("SMA_20", "sma_20", {"timeperiod": 20}, ("sma_20",)),
        ("EMA_50", "ema_50", {"timeperiod": 50}, ("ema_50",)),
        (
            "MACD_12_26_9",
            "macd_12_26_9",
            {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9},
            ("macd_12_26_9", "macdsignal_12_26_9", "macdhist_12_26_9"),
        ),
        (
            "BBANDS_20_2",
            "bbands_20_2",
            {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0},
            ("upperband_20_2", "middleband_20_2", "lowerband_20_2"),
        ),
        (
            "BBANDS_20_2.5_1.5",
            "bbands_20_2.5_1.5",
            {"timeperiod": 20, "nbdevup": 2.5, "nbdevdn": 1.5, "matype": 0},
            ("upperband_20_2.5_1.5", "middleband_20_2.5_1.5", "lowerband_20_2.5_1.5"),
        ),
        (
            "STOCH_14_3_3",
            "stoch_14_3_3",
            {"fastk_period": 14, "slowk_period": 3, "slowd_period": 3, "slowk_matype": 0, "slowd_matype": 0},
            ("slowk_14_3_3", "slowd_14_3_3"),
        ),
        ("ATR_14", "atr_14", {"timeperiod": 14}, ("atr_14",)),
        ("ADX_14", "adx_14", {"timeperiod": 14}, ("adx_14",)),
        ("CCI_20", "cci_20", {"timeperiod": 20}, ("cci_20",)),
        ("OBV", "obv", {}, ("obv",)),
        ("MFI_14", "mfi_14", {"timeperiod": 14}, ("mfi_14",)),
        ("PLUS_DI_7", "plus_di_7", {"timeperiod": 7}, ("plus_di_7",)),
        ("APO", "apo_12_26", {"fastperiod": 12, "slowperiod": 26, "matype": 1}, ("apo_12_26",)),
        ("APO_12_26_0", "apo_12_26_0", {"fastperiod": 12, "slowperiod": 26, "matype": 0}, ("apo_12_26_0",)),
        ({"name": "rsi", "timeperiod": 14}, "rsi_14", {"timeperiod": 14}, ("rsi_14",)),
        ({"name": "BBANDS", "nbdevdn": 3.0}, "bbands_20_2_3", None, None),
        ({"name": "stochrsi"}, "stochrsi_14_5_3", None, ("stochrsi_fastk_14_5_3", "stochrsi_fastd_14_5_3")),
    ],
)
def test_spellings_and_mappings_parse_to_parameters_and_column_names(
    spec: Any, label: str, params: dict[str, Any] | None, outputs: tuple[str, ...] | None
) -> None:
    parsed = parse_indicator(spec)
    assert parsed.label == label
    if params is not None:
        assert dict(parsed.params) == params
    if outputs is not None:
        assert parsed.outputs == outputs


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("RSX_14", r"unknown function 'rsx'; known: .*accepted forms: a spelling such as 'RSI_14'"),
        ("RSI_14_2", r"RSI takes up to 1 numbers after its name, in this order: timeperiod"),
        ("SMA_twenty", r"SMA takes up to 1 numbers .*accepted forms"),
        ("RSI_1", r"rsi: timeperiod=1 is out of range"),
        ("OBV_3", r"OBV takes up to 0 numbers after its name, in this order: none"),
        ({"name": "rsi", "period": 14}, r"rsi has no parameter\(s\) \['period'\]; accepted: timeperiod"),
        ({"timeperiod": 14}, r"unknown function 'None'"),
        (42, r"indicator 42 is a int; accepted forms"),
    ],
)
def test_a_bad_spec_raises_parameter_error_listing_the_accepted_forms(spec: Any, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        parse_indicator(spec)


def test_duplicates_are_kept_once_whatever_their_spelling() -> None:
    specs = parse_indicators(
        ["SMA_20", {"name": "sma", "timeperiod": 20}, "sma_20", "EMA_20", "BBANDS_20_2_2"]
    )
    assert [s.label for s in specs] == ["sma_20", "ema_20", "bbands_20_2"]
    assert parse_indicators(["APO_12_26_1", "APO"]) == [parse_indicator("APO")]


def test_patterns_accept_all_names_or_nothing_and_refuse_unknown_names() -> None:
    assert len(parse_patterns("all")) == 25
    assert parse_patterns(["CDLENGULFING", "cdldoji", "CdlEngulfing"]) == ["cdlengulfing", "cdldoji"]
    assert parse_patterns(None) == parse_patterns([]) == []
    with pytest.raises(ParameterError, match=r"unknown candlestick pattern\(s\) \['CDLFOO'\]; known: cdl3"):
        parse_patterns(["CDLFOO"])
    with pytest.raises(ParameterError, match="pass 'all', a list of names or nothing"):
        parse_patterns("some")


def _talib_outputs(function: str, bars: pl.DataFrame, params: dict[str, Any]) -> list[np.ndarray]:
    arrays = {c: bars[c].to_numpy().astype(np.float64) for c in ("open", "high", "low", "close", "volume")}
    inputs = [arrays["close" if name == "real" else name] for name in INDICATOR_FUNCTIONS[function].inputs]
    out = getattr(talib, function.upper())(*inputs, **params)
    return list(out) if isinstance(out, tuple) else [out]


EVERY_FUNCTION = [*DEFAULT_INDICATORS, "WMA_10", "DEMA_10", "TEMA_10", "TRIMA_10", "KAMA_10", "MACDFIX_9"]
EVERY_FUNCTION += ["MOM_10", "ROC_10", "APO_12_26_0", "PPO", "STOCHF_14_3", "STOCHRSI_14_5_3", "WILLR_14"]
EVERY_FUNCTION += ["AROON_14", "AROONOSC_14", "ULTOSC_7_14_28", "PLUS_DI_14", "MINUS_DI_14", "NATR_14"]
EVERY_FUNCTION += ["TRANGE", "AD", "ADOSC_3_10"]


def test_every_function_equals_talib_per_symbol_on_a_multi_symbol_frame() -> None:
    lengths = {"AAA": 300, "BBB": 157, "CCC": 40, "DDD": 1}
    bars = make_bars(lengths)
    specs = parse_indicators(EVERY_FUNCTION)
    assert {s.function for s in specs} == set(INDICATOR_FUNCTIONS)  # every indicators_rs function covered
    patterns = parse_patterns("all")
    frame = compute_indicators(bars, specs, patterns)
    assert frame.columns == [*bars.columns, *output_columns(specs, patterns)]
    for symbol in lengths:
        ours = frame.filter(pl.col("symbol") == symbol)
        mine = bars.filter(pl.col("symbol") == symbol)
        for spec in specs:
            expected = _talib_outputs(spec.function, mine, dict(spec.params))
            for column, reference in zip(spec.outputs, expected, strict=True):
                got = ours[column].cast(pl.Float64).to_numpy()
                np.testing.assert_array_equal(got, reference, err_msg=f"{symbol} {column}")
        for name in patterns:
            reference = getattr(talib, name.upper())(
                *(mine[c].to_numpy() for c in ("open", "high", "low", "close"))
            )
            got = ours[name].fill_null(0).to_numpy()
            np.testing.assert_array_equal(got, reference, err_msg=f"{symbol} {name}")


def test_unsorted_bars_and_missing_columns_are_refused_with_the_fix() -> None:
    bars = make_bars({"AAA": 5, "BBB": 5})
    specs = parse_indicators(["SMA_2"])
    with pytest.raises(ParameterError, match=r"not sorted by \('symbol', 'ts'\).*\.sort\('symbol', 'ts'\)"):
        compute_indicators(bars.reverse(), specs)
    with pytest.raises(ParameterError, match=r"missing column\(s\) \['volume'\]"):
        compute_indicators(bars.drop("volume"), parse_indicators(["OBV"]))


def test_snapshots_hold_the_last_and_previous_bar_of_each_symbol() -> None:
    bars = make_bars({"AAA": 60, "BBB": 30, "ONE": 1})
    specs = parse_indicators(["RSI_14", "MACD_12_26_9", "SMA_50"])
    frame = compute_indicators(bars, specs, ["cdlengulfing"])
    columns = output_columns(specs, ["cdlengulfing"])
    snapshots = latest_snapshots(frame, columns)
    assert snapshots["symbol"].to_list() == ["AAA", "BBB", "ONE"]
    for row in snapshots.iter_rows(named=True):
        ours = frame.filter(pl.col("symbol") == row["symbol"])
        assert row["ts"] == ours["ts"][-1].timestamp() * 1000
        assert row["close"] == ours["close"][-1]
        assert json.loads(row["indicator_values"]) == ours.select(columns).row(-1, named=True)
        if ours.height == 1:
            assert row["previous_values"] is None
        else:
            assert json.loads(row["previous_values"]) == ours.select(columns).row(-2, named=True)
    bbb = json.loads(snapshots.row(1, named=True)["indicator_values"])
    assert bbb["sma_50"] is None
    assert isinstance(bbb["rsi_14"], float)


def test_signals_map_the_spec_columns_and_keep_the_last_bars() -> None:
    closes = [10.0, 11.0, 12.0, 13.0, 9.0, 9.0, 12.0]
    bars = pl.DataFrame(
        {
            "symbol": "UP",
            "ts": [START + timedelta(days=i) for i in range(len(closes))],
            "open": closes,
            "high": [c + 0.5 for c in closes],
            "low": [c - 0.5 for c in closes],
            "close": closes,
            "volume": 100.0,
        }
    )
    result = analyse_bars(bars, ["SMA_3"], None, signal_bars=1)
    assert result.signals.select("symbol", "timestamp", "signal", "direction", "value").rows() == [
        ("UP", START + timedelta(days=6), "sma_3_cross", "up", 12.0)
    ]
    everything = analyse_bars(bars, ["SMA_3"], None).signals
    assert everything["signal"].to_list() == ["sma_3_cross", "sma_3_cross"]  # down on day 4, up on day 6
    assert everything["direction"].to_list() == ["down", "up"]


def test_signal_events_equal_detect_signals_on_the_mapped_columns() -> None:
    bars = make_bars({"AAA": 400, "BBB": 250}, seed=3)
    specs = parse_indicators(DEFAULT_INDICATORS)
    patterns = parse_patterns("all")
    frame = compute_indicators(bars, specs, patterns)
    expected = detect_signals(
        frame,
        rsi="rsi_14",
        macd=("macd_12_26_9", "macdsignal_12_26_9"),
        sma=["sma_20", "sma_50"],
        bollinger=("upperband_20_2", "lowerband_20_2"),
        patterns=patterns,
        time="ts",
    )
    events = signal_events(frame, specs, patterns)
    assert events.equals(expected)
    assert {"rsi_overbought", "macd_cross", "sma_20_cross", "sma_50_cross"} <= set(events["signal"])
    recent = signal_events(frame, specs, patterns, last_bars=10)
    cutoff = {s: frame.filter(pl.col("symbol") == s)["ts"][-10] for s in ("AAA", "BBB")}
    assert recent.equals(expected.filter(pl.col("timestamp") >= pl.col("symbol").replace_strict(cutoff)))
    assert 0 < recent.height < events.height
