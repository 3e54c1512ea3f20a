"""Three-candle star patterns: a long body, a small star gapping away from it, and a candle closing back
into the first body."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs.candles._plugin import STAR_PENETRATION, pattern_with_penetration

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["cdlabandonedbaby", "cdleveningdojistar", "cdleveningstar", "cdlmorningdojistar", "cdlmorningstar"]


def cdlmorningstar(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    penetration: float = STAR_PENETRATION,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Morning star: long black, short body gapping down, white closing into the first body,
    TA-Lib's ``CDLMORNINGSTAR``.

    Parameters
    ----------
    open, high, low, close
        Price columns, as names or expressions; any numeric dtype (computed in Float64).
    penetration
        How far above the first close the third must close, as a fraction of the first real body;
        TA-Lib's default 0.3.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Int32 named ``cdlmorningstar``, null for the first 12 bars of each run of valid bars;
        otherwise 100 where found, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10
    >>> rows += [(14.0, 14.1, 11.9, 12.0), (11.5, 11.8, 11.0, 11.7), (12.0, 14.1, 11.9, 14.0)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlmorningstar())["cdlmorningstar"].to_list()[-2:]
    [None, 100]
    """
    return pattern_with_penetration("cdlmorningstar", open, high, low, close, penetration, by=by)


def cdleveningstar(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    penetration: float = STAR_PENETRATION,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Evening star: long white, short body gapping up, black closing into the first body,
    TA-Lib's ``CDLEVENINGSTAR``.

    Parameters
    ----------
    open, high, low, close
        Price columns, as names or expressions; any numeric dtype (computed in Float64).
    penetration
        How far below the first close the third must close, as a fraction of the first real body;
        TA-Lib's default 0.3.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Int32 named ``cdleveningstar``, null for the first 12 bars of each run of valid bars;
        otherwise -100 where found, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10
    >>> rows += [(12.0, 14.1, 11.9, 14.0), (14.5, 15.0, 14.2, 14.6), (14.0, 14.1, 11.9, 12.0)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdleveningstar())["cdleveningstar"].to_list()[-2:]
    [None, -100]
    """
    return pattern_with_penetration("cdleveningstar", open, high, low, close, penetration, by=by)


def cdlmorningdojistar(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    penetration: float = STAR_PENETRATION,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Morning doji star: the morning star with a doji as the star, TA-Lib's ``CDLMORNINGDOJISTAR``.

    Parameters
    ----------
    open, high, low, close
        Price columns, as names or expressions; any numeric dtype (computed in Float64).
    penetration
        How far above the first close the third must close, as a fraction of the first real body;
        TA-Lib's default 0.3.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Int32 named ``cdlmorningdojistar``, null for the first 12 bars of each run of valid bars;
        otherwise 100 where found, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10
    >>> rows += [(14.0, 14.1, 11.9, 12.0), (11.0, 11.2, 10.8, 11.0), (12.0, 14.1, 11.9, 14.0)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlmorningdojistar())["cdlmorningdojistar"].to_list()[-2:]
    [None, 100]
    """
    return pattern_with_penetration("cdlmorningdojistar", open, high, low, close, penetration, by=by)


def cdleveningdojistar(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    penetration: float = STAR_PENETRATION,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Evening doji star: the evening star with a doji as the star, TA-Lib's ``CDLEVENINGDOJISTAR``.

    Parameters
    ----------
    open, high, low, close
        Price columns, as names or expressions; any numeric dtype (computed in Float64).
    penetration
        How far below the first close the third must close, as a fraction of the first real body;
        TA-Lib's default 0.3.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Int32 named ``cdleveningdojistar``, null for the first 12 bars of each run of valid bars;
        otherwise -100 where found, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10
    >>> rows += [(12.0, 14.1, 11.9, 14.0), (15.0, 15.2, 14.8, 15.0), (14.0, 14.1, 11.9, 12.0)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdleveningdojistar())["cdleveningdojistar"].to_list()[-2:]
    [None, -100]
    """
    return pattern_with_penetration("cdleveningdojistar", open, high, low, close, penetration, by=by)


def cdlabandonedbaby(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    penetration: float = STAR_PENETRATION,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Abandoned baby: a doji star whose shadows gap away from both neighbours,
    TA-Lib's ``CDLABANDONEDBABY``.

    Parameters
    ----------
    open, high, low, close
        Price columns, as names or expressions; any numeric dtype (computed in Float64).
    penetration
        How far the third candle must close into the first body, as a fraction of that body;
        TA-Lib's default 0.3.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Int32 named ``cdlabandonedbaby``, null for the first 12 bars of each run of valid bars;
        otherwise 100 at a bottom (third candle white) and -100 at a top, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10
    >>> rows += [(14.0, 14.1, 11.9, 12.0), (11.0, 11.2, 10.8, 11.0), (12.0, 14.1, 11.9, 14.0)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlabandonedbaby())["cdlabandonedbaby"].to_list()[-2:]
    [None, 100]
    """
    return pattern_with_penetration("cdlabandonedbaby", open, high, low, close, penetration, by=by)
