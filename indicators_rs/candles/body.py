"""Single candles classified by their real body: marubozu and spinning top."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs.candles._plugin import pattern

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["cdlmarubozu", "cdlspinningtop"]


def cdlmarubozu(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Marubozu: a long body with (almost) no shadows, TA-Lib's ``CDLMARUBOZU``.

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
        Int32 named ``cdlmarubozu``, null for the first 10 bars of each run of valid bars;
        otherwise 100 for a white and -100 for a black long body whose shadows
        are both very short, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10 + [(10.0, 12.05, 9.95, 12.0)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlmarubozu())["cdlmarubozu"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdlmarubozu", open, high, low, close, by=by)


def cdlspinningtop(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Spinning top: a short body with both shadows longer than it, TA-Lib's ``CDLSPINNINGTOP``.

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
        Int32 named ``cdlspinningtop``, null for the first 10 bars of each run of valid bars;
        otherwise 100 when white and -100 when black (the colour, not a
        direction), else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10 + [(10.0, 11.0, 9.0, 10.2)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlspinningtop())["cdlspinningtop"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdlspinningtop", open, high, low, close, by=by)
