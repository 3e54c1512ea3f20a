"""Three-candle patterns: three white soldiers, three black crows, three inside and three outside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs.candles._plugin import pattern

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["cdl3blackcrows", "cdl3inside", "cdl3outside", "cdl3whitesoldiers"]


def cdl3whitesoldiers(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Three white soldiers: three rising white candles with short upper shadows,
    TA-Lib's ``CDL3WHITESOLDIERS``.

    Parameters
    ----------
    open, high, low, close
        Price columns, as names or expressions; any numeric dtype (computed in Float64).
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Int32 named ``cdl3whitesoldiers``, null for the first 12 bars of each run of valid bars;
        otherwise 100 where found, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10
    >>> rows += [(11.0, 12.05, 10.9, 12.0), (11.9, 13.05, 11.8, 13.0), (12.9, 14.05, 12.8, 14.0)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdl3whitesoldiers())["cdl3whitesoldiers"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdl3whitesoldiers", open, high, low, close, by=by)


def cdl3blackcrows(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Three black crows: after a white candle, three falling black candles with short lower shadows,
    TA-Lib's ``CDL3BLACKCROWS``.

    Parameters
    ----------
    open, high, low, close
        Price columns, as names or expressions; any numeric dtype (computed in Float64).
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Int32 named ``cdl3blackcrows``, null for the first 13 bars of each run of valid bars;
        otherwise -100 where found, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10
    >>> rows += [(10.0, 14.5, 9.9, 14.0), (14.0, 14.1, 12.95, 13.0),
    ...     (13.5, 13.6, 11.95, 12.0), (12.5, 12.6, 10.95, 11.0)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdl3blackcrows())["cdl3blackcrows"].to_list()[-2:]
    [None, -100]
    """
    return pattern("cdl3blackcrows", open, high, low, close, by=by)


def cdl3inside(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Three inside up/down: a harami confirmed by a close beyond the first open, TA-Lib's ``CDL3INSIDE``.

    Parameters
    ----------
    open, high, low, close
        Price columns, as names or expressions; any numeric dtype (computed in Float64).
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Int32 named ``cdl3inside``, null for the first 12 bars of each run of valid bars;
        otherwise 100 for three inside up and -100 for three inside down,
        else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10
    >>> rows += [(14.0, 14.1, 11.9, 12.0), (12.5, 13.1, 12.4, 13.0), (13.0, 14.6, 12.9, 14.5)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdl3inside())["cdl3inside"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdl3inside", open, high, low, close, by=by)


def cdl3outside(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Three outside up/down: an engulfing pair confirmed by a further close, TA-Lib's ``CDL3OUTSIDE``.

    Parameters
    ----------
    open, high, low, close
        Price columns, as names or expressions; any numeric dtype (computed in Float64).
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Int32 named ``cdl3outside``, null for the first 3 bars of each run of valid bars;
        otherwise 100 for three outside up and -100 for three outside down,
        else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 10.5, 9.5, 10.2), (11.0, 12.1, 10.9, 12.0),
    ...     (12.5, 12.6, 10.4, 10.5), (10.5, 10.6, 9.9, 10.0)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdl3outside())["cdl3outside"].to_list()
    [None, None, None, -100]
    """
    return pattern("cdl3outside", open, high, low, close, by=by)
