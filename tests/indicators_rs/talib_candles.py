"""TA-Lib as the reference for the candlestick tests, and a generator of candles that form patterns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl
import talib
from talib import abstract

import indicators_rs as ta

FloatArray = npt.NDArray[np.float64]

#: Every pattern under test, by the name of its function and output column.
PATTERN_NAMES = tuple(ta.PATTERNS)

#: Patterns with a ``penetration`` parameter and TA-Lib's default for it.
PENETRATION_DEFAULTS = {
    "cdlabandonedbaby": 0.3,
    "cdldarkcloudcover": 0.5,
    "cdleveningdojistar": 0.3,
    "cdleveningstar": 0.3,
    "cdlmorningdojistar": 0.3,
    "cdlmorningstar": 0.3,
}

#: Body sizes, shadow lengths and gaps (open minus prior close) of generated candles, in price units. They
#: are multiples of 1/8 so equal ends, flat runs and exact threshold ties happen often.
BODIES = (0.0, 0.125, 0.5, 1.0, 2.0, 3.0)
SHADOWS = (0.0, 0.0, 0.125, 0.5, 1.0, 2.0)
GAPS = (-3.0, -1.0, -0.5, -0.125, 0.0, 0.0, 0.125, 0.5, 1.0, 3.0)

#: One generated candle: indices into BODIES, white?, into SHADOWS (upper, lower) and into GAPS.
Shape = tuple[int, bool, int, int, int]


def candles_from(shapes: Sequence[Shape], scale: float = 1.0, base: float = 0.0) -> pl.DataFrame:
    """Open, high, low and close of the candles described by ``shapes``, as ``base + price * scale``."""
    rows = []
    close = 0.0
    for body, white, upper, lower, gap in shapes:
        open_ = close + GAPS[gap]
        close = open_ + BODIES[body] if white else open_ - BODIES[body]
        high = max(open_, close) + SHADOWS[upper]
        low = min(open_, close) - SHADOWS[lower]
        rows.append(tuple(base + price * scale for price in (open_, high, low, close)))
    return pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")


def random_shapes(rng: np.random.Generator, n: int) -> list[Shape]:
    """``n`` random candle shapes, biased towards shadowless candles so marubozu and kicking occur."""
    bodies = rng.integers(0, len(BODIES), n)
    whites = rng.random(n) < 0.5
    upper = np.where(rng.random(n) < 0.3, 0, rng.integers(0, len(SHADOWS), n))
    lower = np.where(rng.random(n) < 0.3, 0, rng.integers(0, len(SHADOWS), n))
    gaps = rng.integers(0, len(GAPS), n)
    return [
        (int(b), bool(w), int(u), int(lo), int(g))
        for b, w, u, lo, g in zip(bodies, whites, upper, lower, gaps, strict=True)
    ]


def lookback(name: str) -> int:
    """TA-Lib's lookback of pattern ``name``: the bars before its first output."""
    return int(abstract.Function(name.upper()).lookback)


def talib_pattern(name: str, bars: pl.DataFrame, penetration: float | None = None) -> list[int | None]:
    """TA-Lib's output on each run of complete bars, None on missing bars and on each run's warm-up.

    This is the documented missing-bar rule: a bar is missing when any price is null, NaN or infinite.
    """
    prices = [bars[column].cast(pl.Float64).fill_null(np.nan).to_numpy() for column in bars.columns[:4]]
    valid = np.logical_and.reduce([np.isfinite(p) for p in prices])
    function = getattr(talib, name.upper())
    kwargs = {} if penetration is None else {"penetration": penetration}
    skip = lookback(name)
    expected: list[int | None] = [None] * bars.height
    start = 0
    while start < bars.height:
        if not valid[start]:
            start += 1
            continue
        end = start
        while end < bars.height and valid[end]:
            end += 1
        run = [np.ascontiguousarray(p[start:end], dtype=np.float64) for p in prices]
        values = function(*run, **kwargs)
        for k in range(skip, end - start):
            expected[start + k] = int(values[k])
        start = end
    return expected


def ours(name: str, bars: pl.DataFrame, penetration: float | None = None) -> pl.Series:
    """The plugin's pattern ``name`` on ``bars`` (columns open, high, low, close in that order)."""
    function = ta.PATTERNS[name]
    o, h, lo, c = bars.columns[:4]
    if penetration is None:
        return bars.select(function(o, h, lo, c)).to_series()
    expression = function(o, h, lo, c, penetration=penetration)  # type: ignore[call-arg]
    return bars.select(expression).to_series()


def assert_equals_talib(name: str, bars: pl.DataFrame, penetration: float | None = None) -> int:
    """Our Int32 output equals TA-Lib's (null on warm-up and missing bars); returns the signal count."""
    result = ours(name, bars, penetration)
    expected = talib_pattern(name, bars, penetration)
    assert result.dtype == pl.Int32, name
    assert result.name == name
    got = result.to_list()
    if got != expected:
        first = next(k for k, (g, e) in enumerate(zip(got, expected, strict=True)) if g != e)
        window = bars.slice(max(first - 3, 0), 4).rows()
        msg = f"{name}: row {first} is {got[first]}, TA-Lib says {expected[first]}; bars {window}"
        raise AssertionError(msg)
    return sum(1 for value in got if value)
