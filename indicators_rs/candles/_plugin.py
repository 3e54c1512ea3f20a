"""The one call every candlestick wrapper makes: register a pattern of the compiled plugin."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from indicators_rs._plugin import plugin_expr

if TYPE_CHECKING:
    import polars as pl
    from polars._typing import IntoExpr

#: TA-Lib's default ``penetration`` of the star patterns and ABANDONEDBABY, as a fraction of the first body.
STAR_PENETRATION = 0.3

#: TA-Lib's default ``penetration`` of DARKCLOUDCOVER, as a fraction of the first body.
DARK_CLOUD_PENETRATION = 0.5


def check_penetration(function: str, penetration: float) -> float:
    """Raise unless ``penetration`` is a finite number >= 0, naming the function and the fix."""
    if isinstance(penetration, bool) or not isinstance(penetration, int | float):
        msg = (
            f"{function}: penetration must be a number, got {type(penetration).__name__} {penetration!r}; "
            "pass a fraction of the first real body such as 0.3"
        )
        raise TypeError(msg)
    if not (math.isfinite(penetration) and penetration >= 0):
        msg = (
            f"{function}: penetration={penetration} is out of range; "
            "pass a finite fraction of the first real body at least 0, e.g. 0.3"
        )
        raise ValueError(msg)
    return float(penetration)


def pattern(
    function: str,
    open: IntoExpr,
    high: IntoExpr,
    low: IntoExpr,
    close: IntoExpr,
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """The Int32 expression of pattern ``function``, named after it; ``by`` is the optional symbol column."""
    return _register(function, [open, high, low, close], None, by)


def pattern_with_penetration(
    function: str,
    open: IntoExpr,
    high: IntoExpr,
    low: IntoExpr,
    close: IntoExpr,
    penetration: float,
    *,
    by: IntoExpr | None = None,
) -> pl.Expr:
    """The Int32 expression of a pattern with a ``penetration`` parameter, checked first."""
    kwargs = {"penetration": check_penetration(function, penetration)}
    return _register(function, [open, high, low, close], kwargs, by)


def _register(
    function: str, prices: list[IntoExpr], kwargs: dict[str, float] | None, by: IntoExpr | None
) -> pl.Expr:
    return plugin_expr(function, prices, kwargs, by, name=function)
