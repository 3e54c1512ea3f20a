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

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dramatiq
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Engine, func, select

from marketjobs.analysis import analyse_portfolio
from marketjobs.config import get_settings
from marketjobs.errors import NonRetryableError, ParameterError
from marketjobs.jobs import current_job
from marketjobs.jobs.params import ValidatedActor, parse_params
from marketjobs.marketdata.bars_io import load_bars
from marketjobs.store.bars import MAX_SYMBOL_LENGTH, Bar
from marketjobs.store.engine import create_store_engine
from marketjobs.store.portfolios import (
    MAX_PORTFOLIO_NAME_LENGTH,
    Portfolio,
    PositionSpec,
    get_portfolio,
    merge_lots,
    save_report,
)

__all__ = [
    "InlinePosition",
    "PortfolioAnalysisParams",
    "PortfolioAnalysisSummary",
    "Target",
    "analyse_portfolios",
    "analyse_target",
    "daily_closes",
    "portfolio_analysis",
    "stored_targets",
    "targets_for",
]

#: Longest a portfolio analysis may run (10 minutes).
TIME_LIMIT_MS = 10 * 60 * 1000
#: Calendar days loaded per wanted daily bar (252 trading days span ~365 calendar days), plus a margin.
CALENDAR_DAYS_PER_BAR = 2
CALENDAR_MARGIN_DAYS = 14


class InlinePosition(BaseModel):
    """One position given in the parameters instead of a stored portfolio."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str = Field(min_length=1, max_length=MAX_SYMBOL_LENGTH)
    #: Units held (> 0).
    quantity: float = Field(gt=0, allow_inf_nan=False)
    #: Cost per unit; the position's cost basis is quantity * average_price. Default: the symbol's first
    #: close in the analysed window, as if bought then (P&L is then the gain over the window).
    average_price: float | None = Field(None, ge=0, allow_inf_nan=False)


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


@dataclass(frozen=True)
class Target:
    """One portfolio to analyse: its name (None when inline), positions, benchmark and currency."""

    name: str | None
    positions: list[PositionSpec]
    benchmark: str | None
    base_currency: str = "USD"
    #: Symbols bought at their first close in the window (inline positions given without a price).
    priced_at_start: frozenset[str] = frozenset()


@dataclass
class PortfolioAnalysisSummary:
    """What a run did; ``as_dict()`` is the job result."""

    portfolios: int = 0
    #: One entry per stored report: portfolio, report_id, as_of and the scalar metrics.
    reports: list[dict[str, Any]] = field(default_factory=list)
    #: Portfolio -> why it could not be analysed.
    failed: dict[str, str] = field(default_factory=dict)
    #: True when a cancel ended the run before the last portfolio.
    stopped: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready values."""
        return asdict(self)


def _target_of(portfolio: Portfolio, positions: Sequence[Any], benchmark: str | None) -> Target:
    specs = [PositionSpec(p.symbol, p.quantity, p.average_price, p.opened_at) for p in positions]
    if not specs:
        raise ParameterError(
            f"portfolio {portfolio.name!r} has no positions; add some with "
            f"`marketjobs portfolios add {portfolio.name} --replace --position SYMBOL=QTY@PRICE`"
        )
    chosen = portfolio.benchmark if benchmark is None else benchmark or None
    return Target(portfolio.name, specs, chosen, portfolio.base_currency)


def stored_targets(engine: Engine, benchmark: str | None = None) -> list[Target]:
    """Every stored portfolio (by name); ``benchmark`` overrides theirs as in the parameters."""
    with engine.connect() as connection:
        names = list(connection.execute(select(Portfolio.name).order_by(Portfolio.name)).scalars())
    targets = []
    for name in names:
        portfolio, positions = get_portfolio(engine, name)
        targets.append(
            Target(name, [], None) if not positions else _target_of(portfolio, positions, benchmark)
        )
    return targets


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
        return [_target_of(portfolio, positions, params.benchmark)]
    return stored_targets(engine, params.benchmark)


def _epoch_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _newest_bars(engine: Engine, symbols: Sequence[str], end_ms: int | None) -> dict[str, int]:
    """Symbol -> time of its newest stored bar (before ``end_ms``), for symbols that have one."""
    query = select(Bar.symbol, func.max(Bar.ts)).where(Bar.symbol.in_(list(symbols))).group_by(Bar.symbol)
    if end_ms is not None:
        query = query.where(Bar.ts < end_ms)
    with engine.connect() as connection:
        return {symbol: int(ts) for symbol, ts in connection.execute(query)}


def daily_closes(bars: pl.DataFrame) -> pl.DataFrame:
    """``date, symbol, close, ts``: the last bar of each symbol on each UTC calendar day.

    >>> ts = [datetime(2024, 1, 2, 15, tzinfo=UTC), datetime(2024, 1, 2, 20, tzinfo=UTC)]
    >>> bars = pl.DataFrame({"symbol": ["A", "A"], "ts": ts, "close": [10.0, 11.0]})
    >>> daily_closes(bars).select("date", "close").rows()
    [(datetime.date(2024, 1, 2), 11.0)]
    """
    return (
        bars.select("symbol", "ts", "close")
        .with_columns(date=pl.col("ts").dt.convert_time_zone("UTC").dt.date())
        .sort("symbol", "ts")
        .group_by("symbol", "date", maintain_order=True)
        .agg(pl.col("close").last(), pl.col("ts").last())
        .select("date", "symbol", "close", "ts")
    )


def load_window(
    engine: Engine, symbols: Sequence[str], benchmark: str | None, *, lookback_bars: int, end: date | None
) -> pl.DataFrame:
    """Daily closes of ``symbols`` (and ``benchmark``) over the last ``lookback_bars`` + 1 common dates.

    Raises
    ------
    ParameterError
        A symbol or the benchmark has no stored bar (before ``end``); the message names the imports needed.
    """
    wanted = [*symbols, *([benchmark] if benchmark and benchmark not in symbols else [])]
    end_ms = None if end is None else _epoch_ms(end + timedelta(days=1))
    newest = _newest_bars(engine, wanted, end_ms)
    missing = [s for s in wanted if s not in newest]
    if missing:
        before = "" if end is None else f" before {end + timedelta(days=1)}"
        what = ", ".join(f"{s} (benchmark)" if s == benchmark and s not in symbols else s for s in missing)
        raise ParameterError(
            f"no bars stored{before} for {what}; import their daily history first, e.g. "
            f"`marketjobs import PATH --symbol {missing[0]}` or a price_update job, then run this again"
        )
    last = datetime.fromtimestamp(max(newest[s] for s in symbols) / 1000, UTC)
    start = last - timedelta(days=lookback_bars * CALENDAR_DAYS_PER_BAR + CALENDAR_MARGIN_DAYS)
    closes = daily_closes(load_bars(engine, wanted, start, None if end_ms is None else _datetime(end_ms)))
    common = (
        closes.filter(pl.col("symbol").is_in(list(symbols)))
        .group_by("date")
        .agg(pl.col("symbol").n_unique().alias("held"))
        .filter(pl.col("held") == len(symbols))
        .sort("date")
        .tail(lookback_bars + 1)
    )
    if common.is_empty():
        return closes.clear()
    return closes.filter(pl.col("date").is_between(common["date"][0], common["date"][-1]))


def _datetime(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


def analyse_target(
    engine: Engine,
    target: Target,
    *,
    lookback_bars: int = 252,
    risk_free_rate: float = 0.0,
    confidence: float = 0.95,
    end: date | None = None,
    job_id: str | None = None,
) -> dict[str, Any]:
    """Analyses ``target`` on the stored closes, stores the report; returns its id and scalar metrics."""
    symbols = [p.symbol for p in target.positions]
    closes = load_window(engine, symbols, target.benchmark, lookback_bars=lookback_bars, end=end)
    first = dict(closes.filter(pl.col("date") == pl.col("date").min()).select("symbol", "close").iter_rows())
    positions = pl.DataFrame(
        {
            "symbol": symbols,
            "quantity": [float(p.quantity) for p in target.positions],
            "cost_basis": [
                float(first.get(p.symbol, 0.0) if p.symbol in target.priced_at_start else p.average_price)
                for p in target.positions
            ],
        }
    )
    try:
        report = analyse_portfolio(
            positions,
            closes.select("date", "symbol", "close"),
            benchmark=target.benchmark,
            risk_free_rate=risk_free_rate,
            confidence=confidence,
            cost_basis="per_unit",
        )
    except ParameterError as exc:
        raise ParameterError(
            f"{exc} (portfolio {target.name or 'inline'}, symbols {symbols}, "
            f"benchmark {target.benchmark}, lookback_bars={lookback_bars})"
        ) from None
    summary = report.summary
    as_of_ms = int(
        closes.filter(pl.col("date") == summary.as_of, pl.col("symbol").is_in(symbols))["ts"]
        .max()
        .timestamp()  # type: ignore[union-attr]
        * 1000
    )
    stored = {
        **report.to_dict(),
        "benchmark": target.benchmark,
        "base_currency": target.base_currency,
        "lookback_bars": lookback_bars,
        "priced_at_start": sorted(target.priced_at_start),
    }
    report_id = save_report(engine, portfolio=target.name, job_id=job_id, as_of=as_of_ms, summary=stored)
    return {
        "portfolio": target.name,
        "report_id": report_id,
        "as_of": as_of_ms,
        "benchmark": target.benchmark,
        "summary": summary.to_dict(),
    }


def analyse_portfolios(
    engine: Engine,
    targets: Sequence[Target],
    *,
    lookback_bars: int = 252,
    risk_free_rate: float = 0.0,
    confidence: float = 0.95,
    end: date | None = None,
    job_id: str | None = None,
    progress: Callable[[float, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PortfolioAnalysisSummary:
    """Analyses each target; a target that fails with a ParameterError is listed in ``failed``.

    With a single target its ParameterError is raised instead (the job then goes to dead letters).
    """
    summary = PortfolioAnalysisSummary(portfolios=len(targets))
    for index, target in enumerate(targets):
        if should_stop is not None and should_stop():
            summary.stopped = True
            break
        label = target.name or "inline positions"
        try:
            if not target.positions:
                raise ParameterError(f"portfolio {label!r} has no positions; add some or remove it")
            summary.reports.append(
                analyse_target(
                    engine,
                    target,
                    lookback_bars=lookback_bars,
                    risk_free_rate=risk_free_rate,
                    confidence=confidence,
                    end=end,
                    job_id=job_id,
                )
            )
        except ParameterError as exc:
            if len(targets) == 1:
                raise
            summary.failed[label] = str(exc)
        if progress is not None:
            progress(100 * (index + 1) / len(targets), f"{label} analysed")
    return summary


class _PortfolioAnalysisActor(ValidatedActor):
    params_model = PortfolioAnalysisParams


@dramatiq.actor(
    actor_class=_PortfolioAnalysisActor,
    queue_name="portfolio_analysis",
    max_retries=3,
    time_limit=TIME_LIMIT_MS,
    default_priority="normal",
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
