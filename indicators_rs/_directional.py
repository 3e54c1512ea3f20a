"""Wilder's directional movement system: ADX, PLUS_DI, MINUS_DI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs._plugin import call, check_period

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["adx", "minus_di", "plus_di"]


def adx(
    high: IntoExpr, low: IntoExpr, close: IntoExpr, timeperiod: int = 14, *, by: IntoExpr | None = None
) -> pl.Expr:
    """Average directional movement index (Wilder).

    Equal to TA-Lib's ``ADX`` bit for bit on clean input.

    Parameters
    ----------
    high
        The high column name or expression.
    low
        The low column name or expression.
    close
        The close column name or expression.
    timeperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 14.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Float64; null for the warm-up (``2 * timeperiod - 1`` bars) of each run of valid bars and for
        missing bars.

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
    >>> expr = ta.adx("high", "low", "close", timeperiod=2)
    >>> bars.select(expr.round(2))["high"].to_list()
    [None, None, None, 80.95, 84.32, 87.22, 56.77, 54.86]
    """
    check_period("adx", "timeperiod", timeperiod, 2)
    return call("adx", [high, low, close], {"timeperiod": timeperiod}, by)


def plus_di(
    high: IntoExpr, low: IntoExpr, close: IntoExpr, timeperiod: int = 14, *, by: IntoExpr | None = None
) -> pl.Expr:
    """Plus directional indicator.

    Equal to TA-Lib's ``PLUS_DI`` bit for bit on clean input.

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
        Float64; null for the warm-up (``timeperiod`` (1 for a period of 1) bars) of each run of valid bars
        and for missing bars.

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
    >>> expr = ta.plus_di("high", "low", "close", timeperiod=3)
    >>> bars.select(expr.round(2))["high"].to_list()
    [None, None, None, 43.3, 52.74, 44.82, 29.52, 42.23]
    """
    check_period("plus_di", "timeperiod", timeperiod, 1)
    return call("plus_di", [high, low, close], {"timeperiod": timeperiod}, by)


def minus_di(
    high: IntoExpr, low: IntoExpr, close: IntoExpr, timeperiod: int = 14, *, by: IntoExpr | None = None
) -> pl.Expr:
    """Minus directional indicator.

    Equal to TA-Lib's ``MINUS_DI`` bit for bit on clean input.

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
        Float64; null for the warm-up (``timeperiod`` (1 for a period of 1) bars) of each run of valid bars
        and for missing bars.

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
    >>> expr = ta.minus_di("high", "low", "close", timeperiod=3)
    >>> bars.select(expr.round(2))["high"].to_list()
    [None, None, None, 6.19, 3.46, 2.56, 24.46, 13.5]
    """
    check_period("minus_di", "timeperiod", timeperiod, 1)
    return call("minus_di", [high, low, close], {"timeperiod": timeperiod}, by)
