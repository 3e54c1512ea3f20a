"""Momentum indicators on one price series: RSI, MACD, MACDFIX, MOM, ROC, APO, PPO."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs._plugin import call, check_matype, check_period

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["apo", "macd", "macdfix", "mom", "ppo", "roc", "rsi"]


def rsi(real: IntoExpr, timeperiod: int = 14, *, by: IntoExpr | None = None) -> pl.Expr:
    """Relative strength index (Wilder smoothing).

    Equal to TA-Lib's ``RSI`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
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
    ...         "close": [10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 13.5],
    ...     }
    ... )
    >>> expr = ta.rsi("close", timeperiod=3)
    >>> bars.select(expr.round(2))["close"].to_list()
    [None, None, None, 80.0, 87.5, 90.24, 54.41, 75.92]
    """
    check_period("rsi", "timeperiod", timeperiod, 2)
    return call("rsi", [real], {"timeperiod": timeperiod}, by)


def macd(
    real: IntoExpr,
    fastperiod: int = 12,
    slowperiod: int = 26,
    signalperiod: int = 9,
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """MACD: fast EMA - slow EMA, its signal EMA and the histogram.

    Equal to TA-Lib's ``MACD`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    fastperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 12.
    slowperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 26.
    signalperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 9.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Struct of Float64 fields 'macd', 'macdsignal', 'macdhist'; null for the warm-up (``slowperiod - 1 +
        signalperiod - 1`` bars) of each run of valid bars and for missing bars.

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
    >>> expr = ta.macd("close", fastperiod=2, slowperiod=3, signalperiod=2)
    >>> bars.select(expr).unnest("close").select(pl.all().round(2)).rows()[-2:]
    [(0.02, 0.11, -0.09), (0.22, 0.19, 0.04)]
    """
    check_period("macd", "fastperiod", fastperiod, 2)
    check_period("macd", "slowperiod", slowperiod, 2)
    check_period("macd", "signalperiod", signalperiod, 1)
    return call(
        "macd", [real], {"fastperiod": fastperiod, "slowperiod": slowperiod, "signalperiod": signalperiod}, by
    )


def macdfix(real: IntoExpr, signalperiod: int = 9, *, by: IntoExpr | None = None) -> pl.Expr:
    """MACD 12/26 with TA-Lib's fixed smoothing factors 0.15 and 0.075.

    Equal to TA-Lib's ``MACDFIX`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    signalperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 9.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Struct of Float64 fields 'macd', 'macdsignal', 'macdhist'; null for the warm-up (``25 + signalperiod
        - 1`` bars) of each run of valid bars and for missing bars.

    Raises
    ------
    TypeError, ValueError
        If a parameter is not an integer (or float) in TA-Lib's range.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> bars = pl.DataFrame({"close": [float(i % 5) for i in range(36)]})
    >>> expr = ta.macdfix("close")
    >>> bars.select(expr).unnest("close").select(pl.all().round(2)).rows()[-2:]
    [(0.21, 0.08, 0.13), (0.02, 0.07, -0.05)]
    """
    check_period("macdfix", "signalperiod", signalperiod, 1)
    return call("macdfix", [real], {"signalperiod": signalperiod}, by)


def mom(real: IntoExpr, timeperiod: int = 10, *, by: IntoExpr | None = None) -> pl.Expr:
    """Momentum: the change over ``timeperiod`` bars.

    Equal to TA-Lib's ``MOM`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    timeperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 10.
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
    >>> expr = ta.mom("close", timeperiod=2)
    >>> bars.select(expr.round(2))["close"].to_list()
    [None, None, 2.0, 0.5, 0.5, 1.5, -0.5, 0.5]
    """
    check_period("mom", "timeperiod", timeperiod, 1)
    return call("mom", [real], {"timeperiod": timeperiod}, by)


def roc(real: IntoExpr, timeperiod: int = 10, *, by: IntoExpr | None = None) -> pl.Expr:
    """Rate of change in percent, ``(price / price timeperiod bars ago - 1) * 100``.

    Equal to TA-Lib's ``ROC`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    timeperiod
        Number of bars, from 1 to 100000 (TA-Lib's range); TA-Lib's default 10.
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
    >>> expr = ta.roc("close", timeperiod=2)
    >>> bars.select(expr.round(2))["close"].to_list()
    [None, None, 20.0, 4.55, 4.17, 13.04, -4.0, 3.85]
    """
    check_period("roc", "timeperiod", timeperiod, 1)
    return call("roc", [real], {"timeperiod": timeperiod}, by)


def apo(
    real: IntoExpr, fastperiod: int = 12, slowperiod: int = 26, matype: int = 1, *, by: IntoExpr | None = None
) -> pl.Expr:
    """Absolute price oscillator: fast moving average - slow moving average.

    Equal to TA-Lib's ``APO`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    fastperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 12.
    slowperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 26.
    matype
        TA-Lib moving-average type: 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA; default 1.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Float64; null for the warm-up (the slow moving average's bars) of each run of valid bars and for
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
    >>> expr = ta.apo("close", fastperiod=2, slowperiod=3)
    >>> bars.select(expr.round(2))["close"].to_list()
    [None, None, 0.5, 0.25, 0.29, 0.28, 0.02, 0.22]
    """
    check_period("apo", "fastperiod", fastperiod, 2)
    check_period("apo", "slowperiod", slowperiod, 2)
    check_matype("apo", "matype", matype)
    return call("apo", [real], {"fastperiod": fastperiod, "slowperiod": slowperiod, "matype": matype}, by)


def ppo(
    real: IntoExpr, fastperiod: int = 12, slowperiod: int = 26, matype: int = 1, *, by: IntoExpr | None = None
) -> pl.Expr:
    """Percentage price oscillator: ``(fast - slow) / slow * 100``.

    Equal to TA-Lib's ``PPO`` bit for bit on clean input.

    Parameters
    ----------
    real
        The price: a numeric column name or expression (integers and Float32 are cast to Float64).
    fastperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 12.
    slowperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 26.
    matype
        TA-Lib moving-average type: 0 SMA, 1 EMA, 2 WMA, 3 DEMA, 4 TEMA, 5 TRIMA, 6 KAMA; default 1.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Float64; null for the warm-up (the slow moving average's bars) of each run of valid bars and for
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
    >>> expr = ta.ppo("close", fastperiod=2, slowperiod=3)
    >>> bars.select(expr.round(2))["close"].to_list()
    [None, None, 4.55, 2.22, 2.46, 2.29, 0.18, 1.72]
    """
    check_period("ppo", "fastperiod", fastperiod, 2)
    check_period("ppo", "slowperiod", slowperiod, 2)
    check_matype("ppo", "matype", matype)
    return call("ppo", [real], {"fastperiod": fastperiod, "slowperiod": slowperiod, "matype": matype}, by)
