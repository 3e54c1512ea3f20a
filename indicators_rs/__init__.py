"""TA-Lib-exact technical indicators as a Polars expression plugin.

Each function returns a :class:`polars.Expr` computed by the Rust kernels in ``src/``; the numbers equal
TA-Lib C 0.8.1 bit for bit on clean input. Warm-up rows are null, not NaN. Any numeric input is cast to
Float64. Every function is a window function, so ``.over("symbol")`` computes it per symbol.

Missing bars
------------
A missing bar is a null or a non-finite value (NaN, +inf, -inf). TA-Lib would let one such value poison
every later output; here each maximal run of valid bars is computed on its own, exactly as TA-Lib would
compute that run alone. So the warm-up restarts after a gap, and the rows inside a gap and inside each
warm-up are null. A frame that is empty, or shorter than the warm-up, gives an empty or all-null result;
so does a column of dtype Null.

The same functions are available as an expression namespace once this module is imported:
``pl.col("close").ta.sma(20)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from polars.plugins import register_plugin_function

from indicators_rs import candles
from indicators_rs.candles import *  # noqa: F403  (candlestick patterns: the names in candles.__all__)

if TYPE_CHECKING:
    from polars._typing import IntoExpr

__all__ = ["MAX_TIMEPERIOD", "IndicatorNamespace", "sma"]
__all__ += candles.__all__

#: Directory holding the compiled plugin (``_internal.*.so``).
_PLUGIN_PATH = Path(__file__).parent

#: Largest ``timeperiod`` TA-Lib accepts, in bars.
MAX_TIMEPERIOD = 100_000


def _check_timeperiod(function: str, timeperiod: int, minimum: int) -> None:
    """Raise if ``timeperiod`` is not an integer in TA-Lib's range, naming the function and the fix."""
    if isinstance(timeperiod, bool) or not isinstance(timeperiod, int):
        msg = (
            f"{function}: timeperiod must be an int, got {type(timeperiod).__name__} {timeperiod!r}; "
            f"pass a whole number of bars between {minimum} and {MAX_TIMEPERIOD}"
        )
        raise TypeError(msg)
    if not minimum <= timeperiod <= MAX_TIMEPERIOD:
        msg = (
            f"{function}: timeperiod={timeperiod} is out of range; "
            f"pass an integer between {minimum} and {MAX_TIMEPERIOD}"
        )
        raise ValueError(msg)


def sma(expr: IntoExpr, timeperiod: int = 30) -> pl.Expr:
    """Simple moving average, equal to TA-Lib's ``SMA`` bit for bit.

    Parameters
    ----------
    expr
        A numeric column name or expression (integers and Float32 are cast to Float64).
    timeperiod
        Number of bars averaged, from 2 to 100000 (TA-Lib's range).

    Returns
    -------
    polars.Expr
        Float64; null for the first ``timeperiod - 1`` bars of each run of valid bars and for missing bars.

    Raises
    ------
    TypeError, ValueError
        If ``timeperiod`` is not an integer between 2 and 100000.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> df = pl.DataFrame({"close": [1.0, 2.0, 3.0, None, 5.0, 6.0, 7.0]})
    >>> df.with_columns(sma=ta.sma("close", timeperiod=2))
    shape: (7, 2)
    ┌───────┬──────┐
    │ close ┆ sma  │
    │ ---   ┆ ---  │
    │ f64   ┆ f64  │
    ╞═══════╪══════╡
    │ 1.0   ┆ null │
    │ 2.0   ┆ 1.5  │
    │ 3.0   ┆ 2.5  │
    │ null  ┆ null │
    │ 5.0   ┆ null │
    │ 6.0   ┆ 5.5  │
    │ 7.0   ┆ 6.5  │
    └───────┴──────┘
    """
    _check_timeperiod("sma", timeperiod, 2)
    return register_plugin_function(
        plugin_path=_PLUGIN_PATH,
        function_name="sma",
        args=expr,
        kwargs={"timeperiod": timeperiod},
        is_elementwise=False,
    )


@pl.api.register_expr_namespace("ta")
class IndicatorNamespace:
    """The ``.ta`` expression namespace: ``pl.col("close").ta.sma(20)``."""

    def __init__(self, expr: pl.Expr) -> None:
        self._expr = expr

    def sma(self, timeperiod: int = 30) -> pl.Expr:
        """Simple moving average of this expression; see :func:`indicators_rs.sma`."""
        return sma(self._expr, timeperiod)
