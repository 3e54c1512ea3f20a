"""Volatility indicators: ATR, NATR, TRANGE."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs._plugin import call, check_period

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["atr", "natr", "trange"]


def atr(
    high: IntoExpr, low: IntoExpr, close: IntoExpr, timeperiod: int = 14, *, by: IntoExpr | None = None
) -> pl.Expr:
    """Average true range (Wilder smoothing).

    Equal to TA-Lib's ``ATR`` bit for bit on clean input.

    Parameters
    ----------
    high
        The high column name or expression.
    low
        The low column name or expression.
    close
        The close column name or expression.
    timeperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 14.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Float64; null for the warm-up (``timeperiod`` bars) of each run of valid bars and for missing bars.

    Raises
    ------
    TypeError, ValueError
        If a parameter is not an integer (or float) in TA-Lib's range.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> bars = pl.DataFrame(
    ...     {
    ...         "high": [10.8, 11.6, 12.9, 12.1, 13.2, 13.4, 12.8, 13.9],
    ...         "low": [9.6, 10.7, 11.4, 11.2, 12.1, 12.6, 11.8, 13.1],
    ...         "close": [10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 13.5],
    ...     }
    ... )
    >>> expr = ta.atr("high", "low", "close", timeperiod=3)
    >>> bars.select(expr.round(2))["high"].to_list()
    [None, None, None, 1.47, 1.54, 1.33, 1.29, 1.49]
    """
    check_period("atr", "timeperiod", timeperiod, 1)
    return call("atr", [high, low, close], {"timeperiod": timeperiod}, by)


def natr(
    high: IntoExpr, low: IntoExpr, close: IntoExpr, timeperiod: int = 14, *, by: IntoExpr | None = None
) -> pl.Expr:
    """Normalized average true range, ``ATR / close * 100``.

    Equal to TA-Lib's ``NATR`` bit for bit on clean input.

    Parameters
    ----------
    high
        The high column name or expression.
    low
        The low column name or expression.
    close
        The close column name or expression.
    timeperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 14.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Float64; null for the warm-up (``timeperiod`` bars) of each run of valid bars and for missing bars.

    Raises
    ------
    TypeError, ValueError
        If a parameter is not an integer (or float) in TA-Lib's range.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> bars = pl.DataFrame(
    ...     {
    ...         "high": [10.8, 11.6, 12.9, 12.1, 13.2, 13.4, 12.8, 13.9],
    ...         "low": [9.6, 10.7, 11.4, 11.2, 12.1, 12.6, 11.8, 13.1],
    ...         "close": [10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 13.5],
    ...     }
    ... )
    >>> expr = ta.natr("high", "low", "close", timeperiod=3)
    >>> bars.select(expr.round(2))["high"].to_list()
    [None, None, None, 12.75, 12.36, 10.23, 10.72, 11.04]
    """
    check_period("natr", "timeperiod", timeperiod, 1)
    return call("natr", [high, low, close], {"timeperiod": timeperiod}, by)


def trange(high: IntoExpr, low: IntoExpr, close: IntoExpr, *, by: IntoExpr | None = None) -> pl.Expr:
    """True range: high - low widened to the previous close.

    Equal to TA-Lib's ``TRANGE`` bit for bit on clean input.

    Parameters
    ----------
    high
        The high column name or expression.
    low
        The low column name or expression.
    close
        The close column name or expression.

    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Float64; null for the warm-up (1 bars) of each run of valid bars and for missing bars.

    Raises
    ------
    TypeError, ValueError
        If a parameter is not an integer (or float) in TA-Lib's range.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> bars = pl.DataFrame(
    ...     {
    ...         "high": [10.8, 11.6, 12.9, 12.1, 13.2, 13.4, 12.8, 13.9],
    ...         "low": [9.6, 10.7, 11.4, 11.2, 12.1, 12.6, 11.8, 13.1],
    ...         "close": [10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 13.5],
    ...     }
    ... )
    >>> expr = ta.trange("high", "low", "close")
    >>> bars.select(expr.round(2))["high"].to_list()
    [None, 1.6, 1.9, 0.9, 1.7, 0.9, 1.2, 1.9]
    """

    return call("trange", [high, low, close], None, by)
