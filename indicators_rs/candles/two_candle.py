"""Two-candle reversal patterns: engulfing, harami, piercing, dark cloud cover and kicking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs.candles._plugin import DARK_CLOUD_PENETRATION, pattern, pattern_with_penetration

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["cdldarkcloudcover", "cdlengulfing", "cdlharami", "cdlharamicross", "cdlkicking", "cdlpiercing"]


def cdlengulfing(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Engulfing: a body that engulfs the prior body of the other colour, TA-Lib's ``CDLENGULFING``.

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
        Int32 named ``cdlengulfing``, null for the first 2 bars of each run of valid bars;
        otherwise +/-100 when the second body engulfs the first strictly and +/-80 when the two bodies
        share one end (TA-Lib 0.8), with the sign of the second candle's colour; else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 10.5, 9.5, 10.2), (11.0, 11.2, 9.8, 10.0),
    ...     (9.5, 11.8, 9.4, 11.5), (11.5, 11.6, 8.9, 9.0)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlengulfing())["cdlengulfing"].to_list()
    [None, None, 100, -80]
    """
    return pattern("cdlengulfing", open, high, low, close, by=by)


def cdlharami(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Harami: a long body followed by a short body inside it, TA-Lib's ``CDLHARAMI``.

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
        Int32 named ``cdlharami``, null for the first 11 bars of each run of valid bars;
        otherwise +/-100 when the second body lies strictly inside the first and
        +/-80 when they share one end, with the sign opposite to the first candle's colour; else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10 + [(13.0, 13.1, 9.9, 10.0), (11.0, 11.6, 10.9, 11.5)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlharami())["cdlharami"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdlharami", open, high, low, close, by=by)


def cdlharamicross(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Harami cross: a long body followed by a doji inside it, TA-Lib's ``CDLHARAMICROSS``.

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
        Int32 named ``cdlharamicross``, null for the first 11 bars of each run of valid bars;
        otherwise +/-100 when the doji lies strictly inside the first body and
        +/-80 when it touches one end, with the sign opposite to the first candle's colour; else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10 + [(13.0, 13.1, 9.9, 10.0), (11.0, 11.6, 10.9, 11.1)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlharamicross())["cdlharamicross"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdlharamicross", open, high, low, close, by=by)


def cdlpiercing(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Piercing: a long white candle opening below a long black one and closing above its midpoint,
    TA-Lib's ``CDLPIERCING``.

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
        Int32 named ``cdlpiercing``, null for the first 11 bars of each run of valid bars;
        otherwise 100 where found, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10 + [(13.0, 13.1, 10.9, 11.0), (10.5, 12.6, 10.4, 12.5)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlpiercing())["cdlpiercing"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdlpiercing", open, high, low, close, by=by)


def cdldarkcloudcover(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    penetration: float = DARK_CLOUD_PENETRATION,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Dark cloud cover: a black candle opening above a long white one and closing deep into it,
    TA-Lib's ``CDLDARKCLOUDCOVER``.

    Parameters
    ----------
    open, high, low, close
        Price columns, as names or expressions; any numeric dtype (computed in Float64).
    penetration
        How far below the first close the second must close, as a fraction of the first real body;
        TA-Lib's default 0.5.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Int32 named ``cdldarkcloudcover``, null for the first 11 bars of each run of valid bars;
        otherwise -100 where found, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10 + [(11.0, 13.1, 10.9, 13.0), (13.5, 13.6, 11.4, 11.5)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdldarkcloudcover())["cdldarkcloudcover"].to_list()[-2:]
    [None, -100]
    """
    return pattern_with_penetration("cdldarkcloudcover", open, high, low, close, penetration, by=by)


def cdlkicking(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Kicking: two marubozu of opposite colours with a gap between them, TA-Lib's ``CDLKICKING``.

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
        Int32 named ``cdlkicking``, null for the first 11 bars of each run of valid bars;
        otherwise 100 when the second marubozu is white and -100 when it is
        black, else 0.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 11.5, 9.5, 11.0)] * 10 + [(13.0, 13.0, 11.0, 11.0), (13.5, 15.5, 13.5, 15.5)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> bars.select(ta.cdlkicking())["cdlkicking"].to_list()[-2:]
    [None, 100]
    """
    return pattern("cdlkicking", open, high, low, close, by=by)
