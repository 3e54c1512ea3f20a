"""Candlestick patterns equal to TA-Lib 0.8.1's ``CDL*`` functions, as Polars expressions.

Each function takes the open, high, low and close columns (names or expressions, by default the columns
``"open"``, ``"high"``, ``"low"`` and ``"close"``) and returns an Int32 expression named after the function,
e.g. ``cdlengulfing``: +100 or -100 where TA-Lib finds the pattern (+80 or -80 for the non-strict cases of
ENGULFING, HARAMI and HARAMICROSS), 0 where it does not. Candles are judged against the average size of the
candles before them with TA-Lib's default candle settings (``BodyLong``, ``BodyDoji``, ``Near``, ...), so
the result is the same value, bar for bar, as ``talib.CDLENGULFING(open, high, low, close)``.

Warm-up and missing bars
------------------------
The first bars of each run of valid bars have no output (TA-Lib's lookback: 2 for ENGULFING, 10 to 13 for
the patterns that average prior candles) and are null, where TA-Lib writes 0. A bar is missing when any of
its four prices is null, NaN or infinite; each maximal run of complete bars is computed on its own, exactly
as TA-Lib would compute that run alone, so the warm-up restarts after a gap and missing bars are null.

Every function is a window function, so ``.over("symbol")`` finds the patterns per symbol. To add them all
at once use :func:`all_patterns`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from indicators_rs.candles._plugin import DARK_CLOUD_PENETRATION, STAR_PENETRATION
from indicators_rs.candles.body import cdlmarubozu, cdlspinningtop
from indicators_rs.candles.doji import cdldoji, cdldragonflydoji, cdlgravestonedoji, cdllongleggeddoji
from indicators_rs.candles.hammer import cdlhammer, cdlhangingman, cdlinvertedhammer, cdlshootingstar
from indicators_rs.candles.star import (
    cdlabandonedbaby,
    cdleveningdojistar,
    cdleveningstar,
    cdlmorningdojistar,
    cdlmorningstar,
)
from indicators_rs.candles.three_candle import cdl3blackcrows, cdl3inside, cdl3outside, cdl3whitesoldiers
from indicators_rs.candles.two_candle import (
    cdldarkcloudcover,
    cdlengulfing,
    cdlharami,
    cdlharamicross,
    cdlkicking,
    cdlpiercing,
)

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

__all__ = [
    "DARK_CLOUD_PENETRATION",
    "PATTERNS",
    "STAR_PENETRATION",
    "Pattern",
    "all_patterns",
    "cdl3blackcrows",
    "cdl3inside",
    "cdl3outside",
    "cdl3whitesoldiers",
    "cdlabandonedbaby",
    "cdldarkcloudcover",
    "cdldoji",
    "cdldragonflydoji",
    "cdlengulfing",
    "cdleveningdojistar",
    "cdleveningstar",
    "cdlgravestonedoji",
    "cdlhammer",
    "cdlhangingman",
    "cdlharami",
    "cdlharamicross",
    "cdlinvertedhammer",
    "cdlkicking",
    "cdllongleggeddoji",
    "cdlmarubozu",
    "cdlmorningdojistar",
    "cdlmorningstar",
    "cdlpiercing",
    "cdlshootingstar",
    "cdlspinningtop",
]


class Pattern(Protocol):
    """What every pattern function accepts (some also take a keyword-only ``penetration``)."""

    __name__: str

    def __call__(
        self,
        open: IntoExpr = ...,
        high: IntoExpr = ...,
        low: IntoExpr = ...,
        close: IntoExpr = ...,
        *,
        by: IntoExpr | None = None,
    ) -> pl.Expr:
        """The pattern's Int32 expression."""
        ...


#: Every pattern function, keyed by its name (which is also the name of the column it produces).
PATTERNS: dict[str, Pattern] = {
    function.__name__: function
    for function in (
        cdl3blackcrows,
        cdl3inside,
        cdl3outside,
        cdl3whitesoldiers,
        cdlabandonedbaby,
        cdldarkcloudcover,
        cdldoji,
        cdldragonflydoji,
        cdlengulfing,
        cdleveningdojistar,
        cdleveningstar,
        cdlgravestonedoji,
        cdlhammer,
        cdlhangingman,
        cdlharami,
        cdlharamicross,
        cdlinvertedhammer,
        cdlkicking,
        cdllongleggeddoji,
        cdlmarubozu,
        cdlmorningdojistar,
        cdlmorningstar,
        cdlpiercing,
        cdlshootingstar,
        cdlspinningtop,
    )
}


def all_patterns(
    open: IntoExpr = "open",
    high: IntoExpr = "high",
    low: IntoExpr = "low",
    close: IntoExpr = "close",
    *,
    by: IntoExpr | None = None,
    over: IntoExpr | None = None,
) -> list[pl.Expr]:
    """Every candlestick pattern as one list of expressions, for ``with_columns`` or ``select``.

    Parameters
    ----------
    open, high, low, close
        Price columns, as names or expressions; any numeric dtype (computed in Float64).
    by
        Optional symbol column (or list of columns): each symbol's rows are computed on their own, in row
        order, in one call (over all cores when each symbol's rows are contiguous); the same result as
        ``.over(by)``, which routes here when the inputs and keys are plain columns.
    over
        The same grouping spelled as ``pattern.over(over)`` for each pattern (it routes to ``by``).

    Returns
    -------
    list[polars.Expr]
        One Int32 expression per pattern in :data:`PATTERNS`, named after it (``cdl3blackcrows`` ...
        ``cdlspinningtop``), each with TA-Lib's default ``penetration`` where it has one.

    Raises
    ------
    ValueError
        If both ``by`` and ``over`` are given.

    Examples
    --------
    >>> import polars as pl
    >>> import indicators_rs as ta
    >>> rows = [(10.0, 10.5, 9.5, 10.2), (11.0, 11.2, 9.8, 10.0), (9.5, 11.8, 9.4, 11.5)]
    >>> bars = pl.DataFrame(rows, schema=["open", "high", "low", "close"], orient="row")
    >>> signals = bars.with_columns(ta.all_patterns()).drop("open", "high", "low", "close")
    >>> signals.width
    25
    >>> signals.select("cdlengulfing", "cdldoji")
    shape: (3, 2)
    ┌──────────────┬─────────┐
    │ cdlengulfing ┆ cdldoji │
    │ ---          ┆ ---     │
    │ i32          ┆ i32     │
    ╞══════════════╪═════════╡
    │ null         ┆ null    │
    │ null         ┆ null    │
    │ 100          ┆ null    │
    └──────────────┴─────────┘
    """
    if by is not None and over is not None:
        msg = "all_patterns: pass either by= or over= (the same grouping), not both"
        raise ValueError(msg)
    expressions = [function(open, high, low, close, by=by) for function in PATTERNS.values()]
    if over is None:
        return expressions
    return [expression.over(over) for expression in expressions]
