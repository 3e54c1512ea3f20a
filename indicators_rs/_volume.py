"""Volume indicators: OBV, AD, ADOSC."""

from __future__ import annotations

from typing import TYPE_CHECKING

from indicators_rs._plugin import call, check_period

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = ["ad", "adosc", "obv"]


def obv(close: IntoExpr, volume: IntoExpr, *, by: IntoExpr | None = None) -> pl.Expr:
    """On-balance volume.

    Equal to TA-Lib's ``OBV`` bit for bit on clean input.

    Parameters
    ----------
    close
        The close column name or expression.
    volume
        The volume column name or expression.

    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Float64; null for the warm-up (0 bars) of each run of valid bars and for missing bars.

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
    ...         "volume": [100.0, 200.0, 150.0, 300.0, 250.0, 400.0, 350.0, 500.0],
    ...     }
    ... )
    >>> expr = ta.obv("close", "volume")
    >>> bars.select(expr.round(2))["close"].to_list()
    [100.0, 300.0, 450.0, 150.0, 400.0, 800.0, 450.0, 950.0]
    """

    return call("obv", [close, volume], None, by)


def ad(
    high: IntoExpr, low: IntoExpr, close: IntoExpr, volume: IntoExpr, *, by: IntoExpr | None = None
) -> pl.Expr:
    """Chaikin accumulation/distribution line.

    Equal to TA-Lib's ``AD`` bit for bit on clean input.

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

    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Float64; null for the warm-up (0 bars) of each run of valid bars and for missing bars.

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
    >>> expr = ta.ad("high", "low", "close", "volume")
    >>> bars.select(expr.round(2))["high"].to_list()
    [-33.33, -100.0, -130.0, -230.0, -298.18, -298.18, -508.18, -508.18]
    """

    return call("ad", [high, low, close, volume], None, by)


def adosc(
    high: IntoExpr,
    low: IntoExpr,
    close: IntoExpr,
    volume: IntoExpr,
    fastperiod: int = 3,
    slowperiod: int = 10,
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """Chaikin A/D oscillator: fast EMA - slow EMA of the AD line.

    Equal to TA-Lib's ``ADOSC`` bit for bit on clean input.

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
    fastperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 3.
    slowperiod
        Number of bars, from 2 to 100000 (TA-Lib's range); TA-Lib's default 10.
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.

    Returns
    -------
    polars.Expr
        Float64; null for the warm-up (``max(fastperiod, slowperiod) - 1`` bars) of each run of valid bars
        and for missing bars.

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
    >>> expr = ta.adosc("high", "low", "close", "volume", fastperiod=2, slowperiod=3)
    >>> bars.select(expr.round(2))["high"].to_list()
    [None, None, -14.26, -26.7, -31.24, -21.58, -47.78, -36.22]
    """
    check_period("adosc", "fastperiod", fastperiod, 2)
    check_period("adosc", "slowperiod", slowperiod, 2)
    return call("adosc", [high, low, close, volume], {"fastperiod": fastperiod, "slowperiod": slowperiod}, by)
