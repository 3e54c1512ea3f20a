"""Oscillators of the typical price, volume and buying pressure: CCI, MFI, ULTOSC."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs._plugin import call, check_period

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["cci", "mfi", "ultosc"]


def cci(
    high: IntoExpr, low: IntoExpr, close: IntoExpr, timeperiod: int = 14, *, by: IntoExpr | None = None
) -> pl.Expr:
    """Commodity channel index of the typical price.

    Equal to TA-Lib's ``CCI`` bit for bit on clean input.

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
        Float64; null for the warm-up (``timeperiod - 1`` bars) of each run of valid bars and for missing
        bars.

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
    >>> expr = ta.cci("high", "low", "close", timeperiod=3)
    >>> bars.select(expr.round(2))["high"].to_list()
    [None, None, 100.0, 0.0, 100.0, 75.0, -100.0, 85.71]
    """
    check_period("cci", "timeperiod", timeperiod, 2)
    return call("cci", [high, low, close], {"timeperiod": timeperiod}, by)


def mfi(
    high: IntoExpr,
    low: IntoExpr,
    close: IntoExpr,
    volume: IntoExpr,
    timeperiod: int = 14,
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Money flow index: a volume-weighted RSI of the typical price.

    Equal to TA-Lib's ``MFI`` bit for bit on clean input.

    Parameters
    ----------
    high
        The high column name or expression.
    low
        The low column name or expression.
    close
        The close column name or expression.
    volume
        The volume column name or expression.
    timeperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 14.
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
    ...         "volume": [100.0, 200.0, 150.0, 300.0, 250.0, 400.0, 350.0, 500.0],
    ...     }
    ... )
    >>> expr = ta.mfi("high", "low", "close", "volume", timeperiod=3)
    >>> bars.select(expr.round(2))["high"].to_list()
    [None, None, None, 53.69, 58.79, 70.58, 66.16, 73.67]
    """
    check_period("mfi", "timeperiod", timeperiod, 2)
    return call("mfi", [high, low, close, volume], {"timeperiod": timeperiod}, by)


def ultosc(
    high: IntoExpr,
    low: IntoExpr,
    close: IntoExpr,
    timeperiod1: int = 7,
    timeperiod2: int = 14,
    timeperiod3: int = 28,
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Ultimate oscillator: buying pressure averaged over three periods.

    Equal to TA-Lib's ``ULTOSC`` bit for bit on clean input.

    Parameters
    ----------
    high
        The high column name or expression.
    low
        The low column name or expression.
    close
        The close column name or expression.
    timeperiod1
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 7.
    timeperiod2
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 14.
    timeperiod3
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 28.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Float64; null for the warm-up (the longest period bars) of each run of valid bars and for missing
        bars.

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
    >>> expr = ta.ultosc("high", "low", "close", timeperiod1=2, timeperiod2=3, timeperiod3=4)
    >>> bars.select(expr.round(2))["high"].to_list()
    [None, None, None, None, 50.9, 55.07, 37.91, 55.07]
    """
    check_period("ultosc", "timeperiod1", timeperiod1, 1)
    check_period("ultosc", "timeperiod2", timeperiod2, 1)
    check_period("ultosc", "timeperiod3", timeperiod3, 1)
    return call(
        "ultosc",
        [high, low, close],
        {"timeperiod1": timeperiod1, "timeperiod2": timeperiod2, "timeperiod3": timeperiod3},
        by,
    )
