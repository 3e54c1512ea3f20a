"""``portfolio_analysis``: market value, P&L and risk metrics of portfolios from the stored daily closes.

Parameters are checked by :class:`PortfolioAnalysisParams` when the message is made. The job analyses one
stored portfolio (``portfolio="core"``), inline positions (``positions=[{"symbol": "AAPL", "quantity": 10,
"average_price": 150}]``; without a price, the first close of the window), or, with neither (the daily
schedule), every stored portfolio. Closes come from the ``bars`` table: the last close of each UTC calendar
day, over the last ``lookback_bars`` + 1 days on which every held symbol has one. The maths is
:func:`marketjobs.analysis.analyse_portfolio`; each analysis is stored as a ``portfolio_reports`` row and
summarised in the job result.

A held symbol or benchmark without bars, or too short a common history, is a
:class:`~marketjobs.errors.ParameterError` naming what to import: the job goes to dead letters without
retries. When every stored portfolio is analysed, one portfolio's failure is reported and the others go on.
A cancel stops between portfolios.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import dramatiq
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Engine

from marketjobs.config import get_settings
from marketjobs.errors import NonRetryableError
from marketjobs.jobs import current_job
from marketjobs.jobs.params import ValidatedActor, parse_params
from marketjobs.services.portfolio_run import Target, analyse_portfolios, stored_targets, target_of
from marketjobs.store.bars import MAX_SYMBOL_LENGTH
from marketjobs.store.engine import create_store_engine
from marketjobs.store.portfolios import (
    MAX_PORTFOLIO_NAME_LENGTH,
    PositionSpec,
    get_portfolio,
    merge_lots,
)
from scheduler.definitions import MARKET_TIMEZONE
from scheduler.periodiq_compat import cron

__all__ = ["InlinePosition", "PortfolioAnalysisParams", "portfolio_analysis", "targets_for"]

#: Longest a portfolio analysis may run (10 minutes).
TIME_LIMIT_MS = 10 * 60 * 1000


class InlinePosition(BaseModel):
    """One position given in the parameters instead of a stored portfolio."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str = Field(min_length=1, max_length=MAX_SYMBOL_LENGTH)
    #: Units held (> 0).
    quantity: float = Field(gt=0, le=1e15, allow_inf_nan=False)
    #: Cost per unit; the position's cost basis is quantity * average_price. Default: the symbol's first
    #: close in the analysed window, as if bought then (P&L is then the gain over the window).
    average_price: float | None = Field(None, ge=0, le=1e12, allow_inf_nan=False)


class PortfolioAnalysisParams(BaseModel):
    """Parameters of the ``portfolio_analysis`` job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: A stored portfolio's name; with neither this nor ``positions``, every stored portfolio.
    portfolio: str | None = Field(None, min_length=1, max_length=MAX_PORTFOLIO_NAME_LENGTH)
    #: Inline positions, analysed without a stored portfolio.
    positions: list[InlinePosition] | None = Field(None, min_length=1)
    #: Benchmark symbol for beta; overrides the stored portfolio's. "" turns beta off.
    benchmark: str | None = Field(None, max_length=MAX_SYMBOL_LENGTH)
    #: Daily returns the metrics cover (the last ``lookback_bars`` + 1 common closes).
    lookback_bars: int = Field(252, ge=2, le=100_000)
    #: Annual risk-free rate for Sharpe and Sortino, e.g. 0.04.
    risk_free_rate: float = Field(0.0, gt=-1.0, lt=1.0, allow_inf_nan=False)
    #: Confidence of the one-day historical VaR and CVaR.
    confidence: float = Field(0.95, gt=0.5, lt=1.0)
    #: Analyse as of this date (its closes included); default: the newest stored bar.
    end: date | None = None

    @field_validator("portfolio")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("portfolio must not be blank; give a stored portfolio's name")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> PortfolioAnalysisParams:
        if self.portfolio is not None and self.positions is not None:
            raise ValueError("give either portfolio (a stored one) or positions (inline), not both")
        positions = self.positions or []
        unpriced = {p.symbol for p in positions if p.average_price is None}
        mixed = sorted(unpriced & {p.symbol for p in positions if p.average_price is not None})
        if mixed:
            raise ValueError(
                f"lots of {mixed[0]} mix with and without average_price; give it for all or none"
            )
        return self


def targets_for(engine: Engine, params: PortfolioAnalysisParams) -> list[Target]:
    """The portfolios ``params`` ask for."""
    if params.positions is not None:
        unpriced = {p.symbol for p in params.positions if p.average_price is None}
        specs = merge_lots(
            [PositionSpec(p.symbol, p.quantity, p.average_price or 0.0) for p in params.positions]
        )
        return [Target(None, specs, params.benchmark or None, priced_at_start=frozenset(unpriced))]
    if params.portfolio is not None:
        portfolio, positions = get_portfolio(engine, params.portfolio)
        return [target_of(portfolio, positions, params.benchmark)]
    return stored_targets(engine, params.benchmark)


class _PortfolioAnalysisActor(ValidatedActor):
    params_model = PortfolioAnalysisParams


@dramatiq.actor(
    actor_class=_PortfolioAnalysisActor,
    queue_name="portfolio_analysis",
    max_retries=3,
    time_limit=TIME_LIMIT_MS,
    default_priority="normal",
    periodic=cron("every weekday at 16:30", timezone=MARKET_TIMEZONE, missed="run_once"),
)
def portfolio_analysis(**kwargs: Any) -> dict[str, Any]:
    """Analyses portfolios (see :class:`PortfolioAnalysisParams`); returns the summary."""
    params = parse_params(PortfolioAnalysisParams, kwargs, "portfolio_analysis")
    job = current_job()
    job.raise_if_cancelled()
    job.progress(
        0.0, f"loading {params.portfolio or ('inline positions' if params.positions else 'portfolios')}"
    )
    engine = create_store_engine(get_settings().database_url)
    summary = analyse_portfolios(
        engine,
        targets_for(engine, params),
        lookback_bars=params.lookback_bars,
        risk_free_rate=params.risk_free_rate,
        confidence=params.confidence,
        end=params.end,
        job_id=job.id,
        progress=job.progress,
        should_stop=lambda: job.cancelled,  # the job then ends as cancelled, keeping this partial summary
    )
    if summary.failed and not summary.reports and not summary.stopped:
        name, reason = next(iter(summary.failed.items()))
        raise NonRetryableError(
            f"no portfolio could be analysed ({len(summary.failed)} failed), e.g. {name}: {reason}"
        )
    return summary.as_dict()
