"""Hammer family: a small real body at one end of the bar and one long shadow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs.candles._plugin import pattern

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["cdlhammer", "cdlhangingman", "cdlinvertedhammer", "cdlshootingstar"]


def cdlhammer(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Hammer: small body on a long lower shadow near the prior low, TA-Lib's ``CDLHAMMER``.

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
        Int32 named ``cdlhammer``, null for the first 11 bars of each run of valid bars;
        otherwise 100 where a short body with a long lower shadow and (almost)
        no upper shadow sits at or below the prior bar's low plus the near distance, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 11 + [(9.0, 9.3, 7.0, 9.3)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlhammer())["cdlhammer"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdlhammer", open, high, low, close, by=by)


def cdlhangingman(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Hanging man: the hammer shape near the prior high, TA-Lib's ``CDLHANGINGMAN``.

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
        Int32 named ``cdlhangingman``, null for the first 11 bars of each run of valid bars;
        otherwise -100 where a short body with a long lower shadow and (almost)
        no upper shadow sits at or above the prior bar's high minus the near distance, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 11 + [(12.0, 12.3, 10.0, 12.3)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlhangingman())["cdlhangingman"].to_list()[-2:]
    [None, -100]
    """
    return pattern("cdlhangingman", open, high, low, close, by=by)


def cdlinvertedhammer(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Inverted hammer: small body gapping down with a long upper shadow, TA-Lib's ``CDLINVERTEDHAMMER``.

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
        Int32 named ``cdlinvertedhammer``, null for the first 11 bars of each run of valid bars;
        otherwise 100 where a short body below the prior body has a long upper
        shadow and (almost) no lower shadow, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 11 + [(9.0, 11.0, 9.0, 9.3)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlinvertedhammer())["cdlinvertedhammer"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdlinvertedhammer", open, high, low, close, by=by)


def cdlshootingstar(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Shooting star: small body gapping up with a long upper shadow, TA-Lib's ``CDLSHOOTINGSTAR``.

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
        Int32 named ``cdlshootingstar``, null for the first 11 bars of each run of valid bars;
        otherwise -100 where a short body above the prior body has a long upper
        shadow and (almost) no lower shadow, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 11 + [(12.0, 14.0, 12.0, 12.3)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlshootingstar())["cdlshootingstar"].to_list()[-2:]
    [None, -100]
    """
    return pattern("cdlshootingstar", open, high, low, close, by=by)
