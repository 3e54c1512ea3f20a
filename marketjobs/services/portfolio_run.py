"""Running portfolio analyses against the store: which portfolios, their daily closes from ``bars``, one
stored ``portfolio_reports`` row per portfolio. The maths is :func:`marketjobs.analysis.analyse_portfolio`;
the ``portfolio_analysis`` actor only validates its parameters and calls :func:`analyse_portfolios`.

Closes come from the ``bars`` table: the last close of each UTC calendar day, over the last
``lookback_bars`` + 1 days on which every held symbol has one. A held symbol or benchmark without bars, or
too short a common history, is a :class:`~marketjobs.errors.ParameterError` naming what to import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Engine

from marketjobs.analysis.portfolio import analyse_portfolio
from marketjobs.errors import ParameterError
from marketjobs.store.bars_io import load_bars, newest_bar_times
from marketjobs.store.portfolios import Portfolio, PositionSpec, get_portfolio, portfolio_names, save_report

__all__ = [
    "CALENDAR_DAYS_PER_BAR",
    "CALENDAR_MARGIN_DAYS",
    "PortfolioAnalysisSummary",
    "Target",
    "analyse_portfolios",
    "analyse_target",
    "daily_closes",
    "load_window",
    "stored_targets",
    "target_of",
]

#: Calendar days loaded per wanted daily bar (252 trading days span ~365 calendar days), plus a margin.
CALENDAR_DAYS_PER_BAR = 2
CALENDAR_MARGIN_DAYS = 14


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


def target_of(portfolio: Portfolio, positions: Sequence[Any], benchmark: str | None) -> Target:
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
    targets = []
    for name in portfolio_names(engine):
        portfolio, positions = get_portfolio(engine, name)
        targets.append(
            Target(name, [], None) if not positions else target_of(portfolio, positions, benchmark)
        )
    return targets


def _epoch_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


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
    newest = newest_bar_times(engine, wanted, end_ms)
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
