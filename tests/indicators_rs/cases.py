"""Every numeric indicator next to its TA-Lib reference, and the helpers that compare the two."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl
import talib
from hypothesis import strategies as st

import indicators_rs as ta

FloatArray = npt.NDArray[np.float64]
Arrays = Mapping[str, FloatArray]

#: Bar columns, in the order TA-Lib takes them.
PRICE_COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class Case:
    """One indicator call: our function and TA-Lib's, with the same inputs and parameters."""

    module: str
    name: str
    inputs: tuple[str, ...]
    kwargs: dict[str, int | float] = field(default_factory=dict)
    outputs: tuple[str, ...] | None = None

    def __str__(self) -> str:
        params = ",".join(f"{k}={v}" for k, v in self.kwargs.items())
        return f"{self.name}({params})"

    def expr(self, by: str | None = None) -> pl.Expr:
        """Our expression on the frame's columns."""
        function: Callable[..., pl.Expr] = getattr(ta, self.name)
        return function(*self.inputs, **self.kwargs, by=by).alias("out")

    def reference(self, arrays: Arrays) -> list[FloatArray]:
        """TA-Lib's outputs on float64 arrays, one array per output."""
        function = getattr(talib, self.name.upper())
        result = function(
            *(np.ascontiguousarray(arrays[c], dtype=np.float64) for c in self.inputs), **self.kwargs
        )
        return list(result) if isinstance(result, tuple) else [result]

    def columns(self, frame: pl.DataFrame) -> list[pl.Series]:
        """Our outputs from a frame holding an ``out`` column, one Series per output."""
        out = frame["out"]
        if self.outputs is None:
            return [out]
        return [out.struct.field(name) for name in self.outputs]


HLC = ("high", "low", "close")
HLCV = ("high", "low", "close", "volume")
C = ("close",)

CASES = [
    Case("_overlap", "sma", C, {"timeperiod": 10}),
    Case("_overlap", "sma", C, {"timeperiod": 1}),
    Case("_overlap", "ema", C, {"timeperiod": 10}),
    Case("_overlap", "ema", C, {"timeperiod": 1}),
    Case("_overlap", "wma", C, {"timeperiod": 3}),
    Case("_overlap", "dema", C, {"timeperiod": 5}),
    Case("_overlap", "tema", C, {"timeperiod": 4}),
    Case("_overlap", "trima", C, {"timeperiod": 6}),
    Case("_overlap", "trima", C, {"timeperiod": 7}),
    Case("_overlap", "kama", C, {"timeperiod": 10}),
    Case("_overlap", "bbands", C, {"timeperiod": 5}, ("upperband", "middleband", "lowerband")),
    Case("_overlap", "bbands", C, {"timeperiod": 4, "nbdevup": 1.5, "nbdevdn": 1.0, "matype": 1},
         ("upperband", "middleband", "lowerband")),
    # Averages whose warm-up outlasts the deviation's: TA-Lib starts the deviation's sums later.
    *(Case("_overlap", "bbands", C, {"timeperiod": 5, "nbdevup": 2.0, "nbdevdn": 1.5, "matype": m},
           ("upperband", "middleband", "lowerband")) for m in (2, 3, 4, 5, 6)),
    Case("_momentum", "rsi", C, {"timeperiod": 14}),
    Case("_momentum", "rsi", C, {"timeperiod": 2}),
    Case("_momentum", "macd", C, {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9},
         ("macd", "macdsignal", "macdhist")),
    Case("_momentum", "macd", C, {"fastperiod": 5, "slowperiod": 3, "signalperiod": 1},
         ("macd", "macdsignal", "macdhist")),
    Case("_momentum", "macdfix", C, {"signalperiod": 9}, ("macd", "macdsignal", "macdhist")),
    Case("_momentum", "mom", C, {"timeperiod": 10}),
    Case("_momentum", "roc", C, {"timeperiod": 10}),
    Case("_momentum", "apo", C, {"fastperiod": 12, "slowperiod": 26, "matype": 1}),
    Case("_momentum", "apo", C, {"fastperiod": 3, "slowperiod": 10, "matype": 0}),
    Case("_momentum", "ppo", C, {"fastperiod": 12, "slowperiod": 26, "matype": 1}),
    Case("_stochastic", "stoch", HLC, {}, ("slowk", "slowd")),
    Case("_stochastic", "stoch", HLC, {"fastk_period": 14, "slowk_period": 3, "slowk_matype": 1,
                                        "slowd_period": 4, "slowd_matype": 2}, ("slowk", "slowd")),
    Case("_stochastic", "stochf", HLC, {}, ("fastk", "fastd")),
    Case("_stochastic", "stochrsi", C, {}, ("fastk", "fastd")),
    Case("_stochastic", "willr", HLC, {"timeperiod": 14}),
    Case("_oscillators", "cci", HLC, {"timeperiod": 14}),
    Case("_oscillators", "mfi", HLCV, {"timeperiod": 14}),
    Case("_oscillators", "ultosc", HLC, {}),
    Case("_stochastic", "aroon", ("high", "low"), {"timeperiod": 14}, ("aroondown", "aroonup")),
    Case("_stochastic", "aroonosc", ("high", "low"), {"timeperiod": 14}),
    Case("_directional", "adx", HLC, {"timeperiod": 14}),
    Case("_directional", "plus_di", HLC, {"timeperiod": 14}),
    Case("_directional", "minus_di", HLC, {"timeperiod": 14}),
    Case("_directional", "plus_di", HLC, {"timeperiod": 1}),
    Case("_directional", "minus_di", HLC, {"timeperiod": 1}),
    Case("_volatility", "atr", HLC, {"timeperiod": 14}),
    Case("_volatility", "atr", HLC, {"timeperiod": 1}),
    Case("_volatility", "natr", HLC, {"timeperiod": 14}),
    Case("_volatility", "trange", HLC, {}),
    Case("_volume", "obv", ("close", "volume"), {}),
    Case("_volume", "ad", HLCV, {}),
    Case("_volume", "adosc", HLCV, {"fastperiod": 3, "slowperiod": 10}),
]  # fmt: skip


def cases_of(module: str) -> list[Case]:
    """The cases of one indicator family (the ``indicators_rs`` submodule name)."""
    return [case for case in CASES if case.module == module]


def assert_equals_talib(actual: pl.Series, expected: FloatArray) -> None:
    """Null exactly where TA-Lib has NaN, and the same float64 bits everywhere else."""
    assert actual.dtype == pl.Float64
    assert len(actual) == len(expected)
    missing = np.isnan(expected)
    null = actual.is_null().to_numpy()
    assert np.array_equal(null, missing), (
        f"null rows {np.flatnonzero(null)[:10]} != NaN rows {np.flatnonzero(missing)[:10]}"
    )
    got = actual.to_numpy()[~missing]
    want = expected[~missing]
    same = got.view(np.uint64) == want.view(np.uint64)
    assert same.all(), f"bits differ at {np.flatnonzero(~same)[:5]}: {got[~same][:5]} vs {want[~same][:5]}"


def assert_case_equals_talib(case: Case, frame: pl.DataFrame, result: pl.DataFrame) -> None:
    """Every output of ``case`` in ``result`` equals TA-Lib on the frame's columns."""
    arrays = {c: frame[c].cast(pl.Float64).to_numpy() for c in case.inputs}
    for got, want in zip(case.columns(result), case.reference(arrays), strict=True):
        assert_equals_talib(got, want)


def reference_per_run(case: Case, arrays: Arrays) -> list[FloatArray]:
    """The documented missing-bar rule: TA-Lib on each maximal run of bars whose inputs are all finite."""
    n = len(arrays[case.inputs[0]])
    valid = np.all([np.isfinite(arrays[c]) for c in case.inputs], axis=0) if n else np.ones(0, dtype=bool)
    n_out = 1 if case.outputs is None else len(case.outputs)
    expected = [np.full(n, np.nan) for _ in range(n_out)]
    start = 0
    while start < n:
        if not valid[start]:
            start += 1
            continue
        end = start
        while end < n and valid[end]:
            end += 1
        run = {c: arrays[c][start:end] for c in case.inputs}
        for out, part in zip(expected, case.reference(run), strict=True):
            out[start:end] = part
        start = end
    return expected


def bars_frame(
    close: Sequence[float] | FloatArray,
    spread: Sequence[float] | FloatArray,
    volume: Sequence[float] | FloatArray,
) -> pl.DataFrame:
    """OHLCV bars around a close path: high and low ``spread`` away, open halfway to the previous close."""
    c = np.asarray(close, dtype=np.float64)
    s = np.abs(np.asarray(spread, dtype=np.float64))
    previous = np.concatenate([c[:1], c[:-1]])
    return pl.DataFrame(
        {
            "open": (c + previous) / 2,
            "high": c + s,
            "low": c - s * 0.7,
            "close": c,
            "volume": np.asarray(volume, dtype=np.float64),
        }
    )


#: Bars every indicator is checked on besides the generated ones (edge cases TA-Lib handles specially).
PINNED_BARS = {
    "empty": bars_frame([], [], []),
    "one bar": bars_frame([101.5], [0.5], [1_000.0]),
    "flat, no range, no volume": bars_frame([7.0] * 80, [0.0] * 80, [0.0] * 80),
    "steady rise": bars_frame([float(i) for i in range(1, 81)], [0.5] * 80, [100.0] * 80),
    "zigzag": bars_frame([10.0 + (-1.0) ** i for i in range(80)], [0.25] * 80, [50.0 + i for i in range(80)]),
    "negative and zero prices": bars_frame(
        [float(i % 7 - 3) for i in range(80)], [float(i % 3) for i in range(80)], [10.0] * 80
    ),
}

magnitudes = st.sampled_from([1e-200, 1e-6, 1e-2, 1.0, 1e3, 1e9, 1e150])


@st.composite
def random_bars(draw: st.DrawFn, max_size: int = 200) -> pl.DataFrame:
    """Random-walk bars at scales from tiny to huge, with flat stretches now and then."""
    n = draw(st.integers(0, max_size))
    scale = draw(magnitudes)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, 1, n)
    if n and draw(st.booleans()):
        flat_start = int(rng.integers(0, n))
        steps[flat_start : flat_start + int(rng.integers(1, 40))] = 0.0
    close = (100 + np.cumsum(steps)) * scale
    spread = rng.random(n) * scale * draw(st.sampled_from([0.0, 0.5, 2.0]))
    volume = rng.integers(0, 10_000, n).astype(np.float64)
    return bars_frame(close, spread, volume)


@st.composite
def bars_with_gaps(draw: st.DrawFn) -> pl.DataFrame:
    """Random bars where some values of some columns are null, NaN or infinite."""
    frame = draw(random_bars(max_size=150))
    if frame.height == 0:
        return frame
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    columns = {}
    for name in PRICE_COLUMNS:
        values: list[float | None] = frame[name].to_list()
        for i in np.flatnonzero(rng.random(frame.height) < 0.04):
            values[i] = [None, float("nan"), float("inf"), float("-inf")][int(rng.integers(0, 4))]
        columns[name] = values
    return pl.DataFrame(columns, schema=dict.fromkeys(PRICE_COLUMNS, pl.Float64), nan_to_null=False)


def check_random_bars(case: Case, frame: pl.DataFrame) -> None:
    """``case`` equals TA-Lib on clean bars."""
    assert_case_equals_talib(case, frame, frame.select(case.expr()))


def check_bars_with_gaps(case: Case, frame: pl.DataFrame) -> None:
    """``case`` equals TA-Lib on every run of bars whose inputs are all present and finite."""
    result = frame.select(case.expr())
    arrays = {c: frame[c].to_numpy() for c in case.inputs}
    for got, want in zip(case.columns(result), reference_per_run(case, arrays), strict=True):
        assert_equals_talib(got, want)


def check_real_bars_per_symbol(case: Case, daily_bars: pl.DataFrame) -> None:
    """``.over("symbol")``, ``by="symbol"`` and Polars' own window machinery all equal TA-Lib called on each
    symbol's bars."""
    over = daily_bars.with_columns(case.expr().over("symbol"))
    grouped = daily_bars.with_columns(case.expr(by="symbol"))
    native = daily_bars.with_columns(pl.Expr.over(case.expr(), "symbol"))
    assert over["out"].equals(grouped["out"]), "by= differs from .over()"
    assert over["out"].equals(native["out"]), ".over() differs from Polars' own window"
    for (_symbol,), bars in over.partition_by("symbol", as_dict=True, maintain_order=True).items():
        assert_case_equals_talib(case, bars, bars)
