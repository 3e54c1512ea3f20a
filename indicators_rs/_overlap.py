"""Overlap studies: moving averages and Bollinger bands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs._plugin import call, check_float, check_matype, check_period

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["bbands", "dema", "ema", "kama", "sma", "tema", "trima", "wma"]


def sma(real: IntoExpr, timeperiod: int = 30, *, by: IntoExpr | None = None) -> pl.Expr:
    """Simple moving average.

    Equal to TA-Lib's ``SMA`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    timeperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 30.
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
    ...         "close": [10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 13.5],
    ...     }
    ... )
    >>> expr = ta.sma("close", timeperiod=3)
    >>> bars.select(expr.round(2))["close"].to_list()
    [None, None, 11.0, 11.5, 12.0, 12.33, 12.5, 12.83]
    """
    check_period("sma", "timeperiod", timeperiod, 1)
    return call("sma", [real], {"timeperiod": timeperiod}, by)


def ema(real: IntoExpr, timeperiod: int = 30, *, by: IntoExpr | None = None) -> pl.Expr:
    """Exponential moving average, seeded with the SMA of the first ``timeperiod`` bars.

    Equal to TA-Lib's ``EMA`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    timeperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 30.
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
    ...         "close": [10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 13.5],
    ...     }
    ... )
    >>> expr = ta.ema("close", timeperiod=3)
    >>> bars.select(expr.round(2))["close"].to_list()
    [None, None, 11.0, 11.25, 11.88, 12.44, 12.22, 12.86]
    """
    check_period("ema", "timeperiod", timeperiod, 1)
    return call("ema", [real], {"timeperiod": timeperiod}, by)


def wma(real: IntoExpr, timeperiod: int = 30, *, by: IntoExpr | None = None) -> pl.Expr:
    """Weighted moving average (weights 1 to ``timeperiod``, newest heaviest).

    Equal to TA-Lib's ``WMA`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    timeperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 30.
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
    ...         "close": [10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 13.5],
    ...     }
    ... )
    >>> expr = ta.wma("close", timeperiod=3)
    >>> bars.select(expr.round(2))["close"].to_list()
    [None, None, 11.33, 11.58, 12.08, 12.58, 12.42, 12.92]
    """
    check_period("wma", "timeperiod", timeperiod, 1)
    return call("wma", [real], {"timeperiod": timeperiod}, by)


def dema(real: IntoExpr, timeperiod: int = 30, *, by: IntoExpr | None = None) -> pl.Expr:
    """Double exponential moving average, ``2 * EMA - EMA(EMA)``.

    Equal to TA-Lib's ``DEMA`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    timeperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 30.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Float64; null for the warm-up (``2 * (timeperiod - 1)`` bars) of each run of valid bars and for
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
    ...         "close": [10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 13.5],
    ...     }
    ... )
    >>> expr = ta.dema("close", timeperiod=2)
    >>> bars.select(expr.round(2))["close"].to_list()
    [None, None, 12.0, 11.67, 12.44, 13.0, 12.17, 13.34]
    """
    check_period("dema", "timeperiod", timeperiod, 1)
    return call("dema", [real], {"timeperiod": timeperiod}, by)


def tema(real: IntoExpr, timeperiod: int = 30, *, by: IntoExpr | None = None) -> pl.Expr:
    """Triple exponential moving average.

    Equal to TA-Lib's ``TEMA`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    timeperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 30.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Float64; null for the warm-up (``3 * (timeperiod - 1)`` bars) of each run of valid bars and for
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
    ...         "close": [10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 13.5],
    ...     }
    ... )
    >>> expr = ta.tema("close", timeperiod=2)
    >>> bars.select(expr.round(2))["close"].to_list()
    [None, None, None, 11.67, 12.48, 13.01, 12.06, 13.41]
    """
    check_period("tema", "timeperiod", timeperiod, 1)
    return call("tema", [real], {"timeperiod": timeperiod}, by)


def trima(real: IntoExpr, timeperiod: int = 30, *, by: IntoExpr | None = None) -> pl.Expr:
    """Triangular moving average.

    Equal to TA-Lib's ``TRIMA`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    timeperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 30.
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
    ...         "close": [10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 13.5],
    ...     }
    ... )
    >>> expr = ta.trima("close", timeperiod=4)
    >>> bars.select(expr.round(2))["close"].to_list()
    [None, None, None, 11.25, 11.75, 12.17, 12.42, 12.67]
    """
    check_period("trima", "timeperiod", timeperiod, 1)
    return call("trima", [real], {"timeperiod": timeperiod}, by)


def kama(real: IntoExpr, timeperiod: int = 30, *, by: IntoExpr | None = None) -> pl.Expr:
    """Kaufman adaptive moving average.

    Equal to TA-Lib's ``KAMA`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    timeperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 30.
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
    ...         "close": [10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 13.5],
    ...     }
    ... )
    >>> expr = ta.kama("close", timeperiod=3)
    >>> bars.select(expr.round(2))["close"].to_list()
    [None, None, None, 11.91, 12.02, 12.15, 12.14, 12.24]
    """
    check_period("kama", "timeperiod", timeperiod, 1)
    return call("kama", [real], {"timeperiod": timeperiod}, by)


def bbands(
    real: IntoExpr,
    timeperiod: int = 20,
    nbdevup: float = 2.0,
    nbdevdn: float = 2.0,
    matype: int = 0,
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Bollinger bands: a moving average plus and minus ``nbdev`` standard deviations.

    Equal to TA-Lib's ``BBANDS`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    timeperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 20.
    nbdevup
        Multiplier of the standard deviation; TA-Lib's default 2.0.
    nbdevdn
        Multiplier of the standard deviation; TA-Lib's default 2.0.
    matype
        TA-Lib moving-average type: 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA; default 0.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Struct of Float64 fields 'upperband', 'middleband', 'lowerband'; null for the warm-up (the moving
        average's (``timeperiod - 1`` for SMA) bars) of each run of valid bars and for missing bars.

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
    ...         "close": [10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 13.5],
    ...     }
    ... )
    >>> expr = ta.bbands("close", timeperiod=3)
    >>> bars.select(expr).unnest("close").select(pl.all().round(2)).rows()[-2:]
    [(13.32, 12.5, 11.68), (14.08, 12.83, 11.59)]
    """
    check_period("bbands", "timeperiod", timeperiod, 2)
    check_float("bbands", "nbdevup", nbdevup)
    check_float("bbands", "nbdevdn", nbdevdn)
    check_matype("bbands", "matype", matype)
    return call(
        "bbands",
        [real],
        {"timeperiod": timeperiod, "nbdevup": nbdevup, "nbdevdn": nbdevdn, "matype": matype},
        by,
    )
