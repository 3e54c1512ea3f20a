"""Risk metrics of a daily return series: volatility, Sharpe, Sortino, drawdown, beta, historical VaR/CVaR.

Conventions (the tests' numpy references implement exactly these):

- Returns are simple daily returns ``v[t] / v[t-1] - 1``; every metric needs at least two of them.
- Annualisation uses :data:`TRADING_DAYS_PER_YEAR`; standard deviations are sample ones (``ddof=1``).
- The annual risk-free rate becomes a daily one as ``risk_free_rate / TRADING_DAYS_PER_YEAR``.
- A ratio whose denominator is at most :data:`ZERO_VOLATILITY` (flat prices, no losing day) is undefined and
  returned as ``None`` rather than ``inf`` or ``nan``, so summaries stay JSON-serialisable.
- VaR and CVaR are one-day losses as positive fractions of value. VaR at confidence ``c`` is minus the
  ``1 - c`` quantile of the returns, linearly interpolated between order statistics (numpy's default
  ``method="linear"``, Hyndman-Fan type 7); CVaR is minus the mean of the returns at or below that quantile.
  Either is negative when even the worst ``1 - c`` of days were gains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import polars as pl

from marketjobs.errors import ParameterError

__all__ = [
    "DEFAULT_CONFIDENCE",
    "TRADING_DAYS_PER_YEAR",
    "ZERO_VOLATILITY",
    "Drawdown",
    "annualised_volatility",
    "beta",
    "check_returns",
    "historical_cvar",
    "historical_var",
    "max_drawdown",
    "sharpe_ratio",
    "sortino_ratio",
]

#: Trading days in a year, used to annualise daily means and standard deviations.
TRADING_DAYS_PER_YEAR: Final = 252
#: A daily standard deviation at or below this is treated as zero: ratios dividing by it are ``None``.
ZERO_VOLATILITY: Final = 1e-12
#: Confidence level of the historical VaR and CVaR.
DEFAULT_CONFIDENCE: Final = 0.95


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The largest peak-to-trough fall of a value series; dates are ``None`` when it never fell."""

    #: Fall from the peak to the trough as a positive fraction of the peak (0.0 if it never fell).
    max_drawdown: float
    peak: date | None
    trough: date | None


def check_returns(returns: pl.Series, *, name: str = "returns") -> pl.Series:
    """Return ``returns`` as Float64 after checking it has >= 2 finite values and no nulls.

    Raises
    ------
    ParameterError
        If there are fewer than two observations or any null, NaN or infinite value.
    """
    if not returns.dtype.is_numeric():
        raise ParameterError(f"{name} must be numeric, not {returns.dtype}; cast it to Float64.")
    values = returns.cast(pl.Float64)
    if values.len() < 2:
        raise ParameterError(
            f"{name} has {values.len()} observation(s); risk metrics need at least 2 daily returns, "
            "so supply prices for at least 3 common dates."
        )
    bad = values.null_count() + int((~values.drop_nulls().is_finite()).sum())
    if bad:
        raise ParameterError(f"{name} has {bad} null or non-finite value(s); drop or fill them first.")
    return values


def _item(returns: pl.Series, expression: pl.Expr) -> Any:
    return returns.rename("r").to_frame().select(expression).item()


def _excess(returns: pl.Series, risk_free_rate: float) -> pl.Series:
    if not math.isfinite(risk_free_rate) or risk_free_rate <= -1.0:
        raise ParameterError(
            f"risk_free_rate={risk_free_rate!r} is not an annual rate; pass e.g. 0.04 for 4% a year."
        )
    return check_returns(returns) - risk_free_rate / TRADING_DAYS_PER_YEAR


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ParameterError(f"confidence={confidence!r} must be strictly between 0 and 1, e.g. 0.95.")


def annualised_volatility(returns: pl.Series) -> float:
    """Sample standard deviation of daily ``returns`` times ``sqrt(252)``; 0.0 for flat prices."""
    std = _item(check_returns(returns), pl.col("r").std(ddof=1))
    return float(std) * math.sqrt(TRADING_DAYS_PER_YEAR)


def sharpe_ratio(returns: pl.Series, *, risk_free_rate: float = 0.0) -> float | None:
    """Annualised Sharpe ratio: ``mean(excess) / std(excess) * sqrt(252)``; ``None`` if the std is zero."""
    excess = _excess(returns, risk_free_rate)
    mean, std = _item(excess, pl.struct(pl.col("r").mean(), pl.col("r").std(ddof=1).alias("s"))).values()
    if std <= ZERO_VOLATILITY:
        return None
    return float(mean) / float(std) * math.sqrt(TRADING_DAYS_PER_YEAR)


def sortino_ratio(returns: pl.Series, *, risk_free_rate: float = 0.0) -> float | None:
    """Annualised Sortino ratio; ``None`` if no day fell short of the risk-free rate.

    The downside deviation is ``sqrt(mean(min(excess, 0) ** 2))`` over all days (target downside deviation).
    """
    excess = _excess(returns, risk_free_rate)
    downside = pl.col("r").clip(upper_bound=0.0).pow(2).mean().sqrt().alias("d")
    mean, deviation = _item(excess, pl.struct(pl.col("r").mean(), downside)).values()
    if deviation <= ZERO_VOLATILITY:
        return None
    return float(mean) / float(deviation) * math.sqrt(TRADING_DAYS_PER_YEAR)


def historical_var(returns: pl.Series, *, confidence: float = DEFAULT_CONFIDENCE) -> float:
    """One-day historical value at risk: minus the linearly interpolated ``1 - confidence`` quantile."""
    _check_confidence(confidence)
    quantile = _item(check_returns(returns), pl.col("r").quantile(1.0 - confidence, interpolation="linear"))
    return -float(quantile)


def historical_cvar(returns: pl.Series, *, confidence: float = DEFAULT_CONFIDENCE) -> float:
    """One-day historical CVaR (expected shortfall): minus the mean return at or below the VaR quantile."""
    _check_confidence(confidence)
    values = check_returns(returns)
    threshold = pl.col("r").quantile(1.0 - confidence, interpolation="linear")
    return -float(_item(values, pl.col("r").filter(pl.col("r") <= threshold).mean()))


def beta(returns: pl.Series, benchmark_returns: pl.Series) -> float | None:
    """``cov(returns, benchmark) / var(benchmark)`` (both ``ddof=1``); ``None`` if the benchmark is flat.

    The two series must be aligned: the same length, element ``i`` of each covering the same day.
    """
    portfolio = check_returns(returns)
    benchmark = check_returns(benchmark_returns, name="benchmark returns")
    if portfolio.len() != benchmark.len():
        raise ParameterError(
            f"returns ({portfolio.len()}) and benchmark returns ({benchmark.len()}) differ in length; "
            "align them on common dates first."
        )
    frame = pl.DataFrame({"p": portfolio, "b": benchmark})
    covariance, std = frame.select(pl.cov("p", "b", ddof=1), pl.col("b").std(ddof=1)).row(0)
    if std <= ZERO_VOLATILITY:
        return None
    return float(covariance) / float(std) ** 2


def max_drawdown(values: pl.DataFrame, *, time: str = "date", value: str = "value") -> Drawdown:
    """The largest fall from a running peak of ``value``, with the peak's and the trough's dates.

    The trough is the first row with the deepest drawdown; the peak is the last row before it at the running
    maximum (the day the fall began). Rows must be sorted by ``time``.
    """
    if values.is_empty():
        raise ParameterError("max_drawdown needs at least one value; supply a non-empty value series.")
    frame = values.select(
        pl.col(time).alias("t"),
        pl.col(value).cast(pl.Float64).alias("v"),
        pl.col(value).cast(pl.Float64).cum_max().alias("peak"),
    ).with_row_index("i")
    frame = frame.with_columns(drawdown=1.0 - pl.col("v") / pl.col("peak"))
    trough = frame.row(frame.get_column("drawdown").arg_max() or 0, named=True)
    if trough["drawdown"] <= 0.0:
        return Drawdown(max_drawdown=0.0, peak=None, trough=None)
    peak = frame.filter((pl.col("i") <= trough["i"]) & (pl.col("v") == pl.col("peak"))).row(-1, named=True)
    return Drawdown(max_drawdown=float(trough["drawdown"]), peak=peak["t"], trough=trough["t"])
