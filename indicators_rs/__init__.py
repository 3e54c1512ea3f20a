"""TA-Lib-exact technical indicators as a Polars expression plugin.

Each function returns a :class:`polars.Expr` computed by the Rust kernels in ``src/``; the numbers equal
TA-Lib C 0.8.1 bit for bit on clean input. Warm-up rows are null, not NaN. Any numeric input is cast to
Float64. Every function is a window function, so ``.over("symbol")`` computes it per symbol.

Missing bars
------------
A missing bar is a bar where any input of the function (high, low, close, volume, ...) is null or non-finite
(NaN, +inf, -inf). TA-Lib would let one such value poison every later output; here each maximal run of
complete bars is computed on its own, exactly as TA-Lib would compute that run alone. So the warm-up
restarts after a gap, and the rows inside a gap and inside each warm-up are null. A frame that is empty, or
shorter than the warm-up, gives an empty or all-null result; so does a column of dtype Null.

Per symbol, use ``.over("symbol")`` (or ``by="symbol"``, the same grouping): the plugin groups the rows
itself in one call, on all cores, whatever the row order; Polars' own window machinery is used only with
``order_by`` or another ``mapping_strategy``. The single-series functions are also an expression namespace
once this module is imported: ``pl.col("close").ta.sma(20)``.
"""

from __future__ import annotations

from indicators_rs import (
    _directional,
    _momentum,
    _oscillators,
    _overlap,
    _stochastic,
    _volatility,
    _volume,
    candles,
)
from indicators_rs._directional import *  # noqa: F403  (ADX, PLUS_DI, MINUS_DI)
from indicators_rs._momentum import *  # noqa: F403  (RSI, MACD, MACDFIX, MOM, ROC, APO, PPO)
from indicators_rs._namespace import IndicatorNamespace
from indicators_rs._oscillators import *  # noqa: F403  (CCI, MFI, ULTOSC)
from indicators_rs._overlap import *  # noqa: F403  (SMA, EMA, WMA, DEMA, TEMA, TRIMA, KAMA, BBANDS)
from indicators_rs._plugin import MA_TYPES, MAX_TIMEPERIOD, PLUGIN_PATH
from indicators_rs._stochastic import *  # noqa: F403  (STOCH, STOCHF, STOCHRSI, WILLR, AROON, AROONOSC)
from indicators_rs._volatility import *  # noqa: F403  (ATR, NATR, TRANGE)
from indicators_rs._volume import *  # noqa: F403  (OBV, AD, ADOSC)
from indicators_rs.candles import *  # noqa: F403  (candlestick patterns: the names in candles.__all__)

#: The numeric indicators, in TA-Lib's names (lower case).
INDICATORS = [
    *_overlap.__all__, *_momentum.__all__, *_stochastic.__all__, *_oscillators.__all__,
    *_directional.__all__, *_volatility.__all__, *_volume.__all__,
]  # fmt: skip

__all__ = ["INDICATORS", "MAX_TIMEPERIOD", "MA_TYPES", "IndicatorNamespace", *INDICATORS]
__all__ += candles.__all__

#: Directory holding the compiled plugin (kept under its old private name for tests and benchmarks).
_PLUGIN_PATH = PLUGIN_PATH
