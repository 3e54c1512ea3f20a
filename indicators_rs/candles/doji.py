"""Doji family: candles whose open and close are (nearly) equal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs.candles._plugin import pattern

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["cdldoji", "cdldragonflydoji", "cdlgravestonedoji", "cdllongleggeddoji"]


def cdldoji(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Doji: open and close nearly equal, TA-Lib's ``CDLDOJI``.

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
        Int32 named ``cdldoji``, null for the first 10 bars of each run of valid bars;
        otherwise 100 where the real body is at most a tenth of
        the average high-low range of the previous 10 bars (indecision, not a direction), else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10 + [(10.0, 10.5, 9.5, 10.1)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdldoji())["cdldoji"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdldoji", open, high, low, close, by=by)


def cdldragonflydoji(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Dragonfly doji: a doji at the high with a long lower shadow, TA-Lib's ``CDLDRAGONFLYDOJI``.

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
        Int32 named ``cdldragonflydoji``, null for the first 10 bars of each run of valid bars;
        otherwise 100 where a doji has a very short upper shadow and a lower
        shadow that is not very short, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10 + [(10.0, 10.05, 8.0, 10.0)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdldragonflydoji())["cdldragonflydoji"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdldragonflydoji", open, high, low, close, by=by)


def cdlgravestonedoji(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Gravestone doji: a doji at the low with a long upper shadow, TA-Lib's ``CDLGRAVESTONEDOJI``.

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
        Int32 named ``cdlgravestonedoji``, null for the first 10 bars of each run of valid bars;
        otherwise 100 where a doji has a very short lower shadow and an upper
        shadow that is not very short, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10 + [(10.0, 12.0, 9.95, 10.0)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlgravestonedoji())["cdlgravestonedoji"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdlgravestonedoji", open, high, low, close, by=by)


def cdllongleggeddoji(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Long-legged doji: a doji with a long shadow, TA-Lib's ``CDLLONGLEGGEDDOJI``.

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
        Int32 named ``cdllongleggeddoji``, null for the first 10 bars of each run of valid bars;
        otherwise 100 where a doji has at least one shadow longer than its
        body, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10 + [(10.0, 12.0, 8.0, 10.05)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdllongleggeddoji())["cdllongleggeddoji"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdllongleggeddoji", open, high, low, close, by=by)
