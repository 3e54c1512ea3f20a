"""Records returned by :func:`~marketjobs.analysis.portfolio.analyse_portfolio`; ``to_dict()`` gives JSON."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

__all__ = ["PortfolioReport", "PortfolioSummary"]


def _json_value(value: Any) -> Any:
    """Dates become ISO strings and non-finite floats ``None``, so ``json.dumps`` accepts the result."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True, slots=True)
class PortfolioSummary:
    """Scalar portfolio metrics as of the last common price date; ``None`` marks an undefined ratio."""

    start: date
    as_of: date
    #: Daily returns the risk metrics were computed from (common price dates minus one).
    observations: int
    #: Price dates dropped because some held symbol had no close on them.
    dates_dropped: int
    market_value: float
    cost_basis: float
    unrealised_pnl: float
    unrealised_pnl_pct: float | None
    total_return: float
    annualised_return: float
    annualised_volatility: float
    sharpe_ratio: float | None
    sortino_ratio: float | None
    max_drawdown: float
    max_drawdown_peak: date | None
    max_drawdown_trough: date | None
    beta: float | None
    #: Daily returns shared with the benchmark that beta was computed from (0 without a benchmark).
    beta_observations: int
    var: float
    cvar: float
    confidence: float
    risk_free_rate: float

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-serialisable dict (ISO dates, ``None`` for undefined values)."""
        return {field.name: _json_value(getattr(self, field.name)) for field in dataclasses.fields(self)}


@dataclass(frozen=True)
class PortfolioReport:
    """The summary plus the frames it came from.

    Attributes
    ----------
    summary
        Scalar metrics.
    positions
        One row per symbol: ``symbol, quantity, cost_basis, close, market_value, weight, unrealised_pnl,
        unrealised_pnl_pct`` (cost basis is the position's total cost; the pct is null when it is zero).
    values
        One row per common date: ``date, value, return, drawdown`` (``return`` null on the first row).
    correlation
        Pearson correlation of the symbols' daily returns: a ``symbol`` column plus one column per symbol;
        null where a symbol's price never moved.
    """

    summary: PortfolioSummary
    positions: pl.DataFrame
    values: pl.DataFrame
    correlation: pl.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """Summary, positions and correlation as JSON-serialisable data (the value series is left out)."""
        matrix = {
            row["symbol"]: {key: _json_value(value) for key, value in row.items() if key != "symbol"}
            for row in self.correlation.iter_rows(named=True)
        }
        positions = [
            {key: _json_value(value) for key, value in row.items()}
            for row in self.positions.iter_rows(named=True)
        ]
        return {"summary": self.summary.to_dict(), "positions": positions, "correlation": matrix}
