"""Indicators of where prices sit in their recent range: STOCH, STOCHF, STOCHRSI, WILLR, AROON, AROONOSC."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs._plugin import call, check_matype, check_period

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["aroon", "aroonosc", "stoch", "stochf", "stochrsi", "willr"]


def stoch(
    high: IntoExpr,
    low: IntoExpr,
    close: IntoExpr,
    fastk_period: int = 5,
    slowk_period: int = 3,
    slowk_matype: int = 0,
    slowd_period: int = 3,
    slowd_matype: int = 0,
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Slow stochastic: %K smoothed, and its moving average %D.

    Equal to TA-Lib's ``STOCH`` bit for bit on clean input.

    Parameters
    ----------
    high
        The high column name or expression.
    low
        The low column name or expression.
    close
        The close column name or expression.
    fastk_period
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 5.
    slowk_period
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 3.
    slowk_matype
        TA-Lib moving-average type: 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA; default 0.
    slowd_period
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 3.
    slowd_matype
        TA-Lib moving-average type: 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA; default 0.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Struct of Float64 fields 'slowk', 'slowd'; null for the warm-up (``fastk_period - 1`` plus both
        moving averages' bars) of each run of valid bars and for missing bars.

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
    >>> expr = ta.stoch("high", "low", "close", fastk_period=3, slowk_period=2, slowd_period=2)
    >>> bars.select(expr).unnest("high").select(pl.all().round(2)).rows()[-2:]
    [(47.16, 60.28), (46.73, 46.94)]
    """
    check_period("stoch", "fastk_period", fastk_period, 1)
    check_period("stoch", "slowk_period", slowk_period, 1)
    check_matype("stoch", "slowk_matype", slowk_matype)
    check_period("stoch", "slowd_period", slowd_period, 1)
    check_matype("stoch", "slowd_matype", slowd_matype)
    return call(
        "stoch",
        [high, low, close],
        {
            "fastk_period": fastk_period,
            "slowk_period": slowk_period,
            "slowk_matype": slowk_matype,
            "slowd_period": slowd_period,
            "slowd_matype": slowd_matype,
        },
        by,
    )


def stochf(
    high: IntoExpr,
    low: IntoExpr,
    close: IntoExpr,
    fastk_period: int = 5,
    fastd_period: int = 3,
    fastd_matype: int = 0,
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Fast stochastic: raw %K and its moving average %D.

    Equal to TA-Lib's ``STOCHF`` bit for bit on clean input.

    Parameters
    ----------
    high
        The high column name or expression.
    low
        The low column name or expression.
    close
        The close column name or expression.
    fastk_period
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 5.
    fastd_period
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 3.
    fastd_matype
        TA-Lib moving-average type: 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA; default 0.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Struct of Float64 fields 'fastk', 'fastd'; null for the warm-up (``fastk_period - 1`` plus the %D
        average's bars) of each run of valid bars and for missing bars.

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
    >>> expr = ta.stochf("high", "low", "close", fastk_period=3, fastd_period=2)
    >>> bars.select(expr).unnest("high").select(pl.all().round(2)).rows()[-2:]
    [(12.5, 47.16), (80.95, 46.73)]
    """
    check_period("stochf", "fastk_period", fastk_period, 1)
    check_period("stochf", "fastd_period", fastd_period, 1)
    check_matype("stochf", "fastd_matype", fastd_matype)
    return call(
        "stochf",
        [high, low, close],
        {"fastk_period": fastk_period, "fastd_period": fastd_period, "fastd_matype": fastd_matype},
        by,
    )


def stochrsi(
    real: IntoExpr,
    timeperiod: int = 14,
    fastk_period: int = 5,
    fastd_period: int = 3,
    fastd_matype: int = 0,
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Stochastic RSI: the fast stochastic of the RSI.

    Equal to TA-Lib's ``STOCHRSI`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    timeperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 14.
    fastk_period
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 5.
    fastd_period
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 3.
    fastd_matype
        TA-Lib moving-average type: 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA; default 0.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Struct of Float64 fields 'fastk', 'fastd'; null for the warm-up (``timeperiod + fastk_period - 1``
        plus the %D average's bars) of each run of valid bars and for missing bars.

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
    >>> expr = ta.stochrsi("close", timeperiod=3, fastk_period=2, fastd_period=2)
    >>> bars.select(expr).unnest("close").select(pl.all().round(2)).rows()[-2:]
    [(0.0, 50.0), (100.0, 50.0)]
    """
    check_period("stochrsi", "timeperiod", timeperiod, 2)
    check_period("stochrsi", "fastk_period", fastk_period, 1)
    check_period("stochrsi", "fastd_period", fastd_period, 1)
    check_matype("stochrsi", "fastd_matype", fastd_matype)
    return call(
        "stochrsi",
        [real],
        {
            "timeperiod": timeperiod,
            "fastk_period": fastk_period,
            "fastd_period": fastd_period,
            "fastd_matype": fastd_matype,
        },
        by,
    )


def willr(
    high: IntoExpr, low: IntoExpr, close: IntoExpr, timeperiod: int = 14, *, by: IntoExpr | None = None
) -> pl.Expr:
    """Williams' %R: where the close sits in the high-low range, from -100 to 0.

    Equal to TA-Lib's ``WILLR`` bit for bit on clean input.

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
    >>> expr = ta.willr("high", "low", "close", timeperiod=3)
    >>> bars.select(expr.round(2))["high"].to_list()
    [None, None, -27.27, -63.64, -35.0, -18.18, -87.5, -19.05]
    """
    check_period("willr", "timeperiod", timeperiod, 2)
    return call("willr", [high, low, close], {"timeperiod": timeperiod}, by)


def aroon(high: IntoExpr, low: IntoExpr, timeperiod: int = 14, *, by: IntoExpr | None = None) -> pl.Expr:
    """Aroon down and up: how recent the lowest low and the highest high are.

    Equal to TA-Lib's ``AROON`` bit for bit on clean input.

    Parameters
    ----------
    high
        The high column name or expression.
    low
        The low column name or expression.
    timeperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 14.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Struct of Float64 fields 'aroondown', 'aroonup'; null for the warm-up (``timeperiod`` bars) of each
        run of valid bars and for missing bars.

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
    ...     }
    ... )
    >>> expr = ta.aroon("high", "low", timeperiod=3)
    >>> bars.select(expr).unnest("high").select(pl.all().round(2)).rows()[-2:]
    [(0.0, 66.67), (66.67, 100.0)]
    """
    check_period("aroon", "timeperiod", timeperiod, 2)
    return call("aroon", [high, low], {"timeperiod": timeperiod}, by)


def aroonosc(high: IntoExpr, low: IntoExpr, timeperiod: int = 14, *, by: IntoExpr | None = None) -> pl.Expr:
    """Aroon oscillator: aroon up - aroon down.

    Equal to TA-Lib's ``AROONOSC`` bit for bit on clean input.

    Parameters
    ----------
    high
        The high column name or expression.
    low
        The low column name or expression.
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
    ...     }
    ... )
    >>> expr = ta.aroonosc("high", "low", timeperiod=3)
    >>> bars.select(expr.round(2))["high"].to_list()
    [None, None, None, 66.67, 100.0, 66.67, 66.67, 33.33]
    """
    check_period("aroonosc", "timeperiod", timeperiod, 2)
    return call("aroonosc", [high, low], {"timeperiod": timeperiod}, by)
