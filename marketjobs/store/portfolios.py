"""Portfolios, their positions and the reports ``portfolio_analysis`` stores.

Times are UTC epoch milliseconds in BIGINT columns, as in :mod:`marketjobs.store.bars`. A position is one row
per (portfolio, symbol) with its quantity and average price; several lots of one symbol are merged into one
row at their quantity-weighted average price when saved.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Double,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketjobs.clock import now_ms
from marketjobs.errors import ParameterError
from marketjobs.store.bars import MAX_SYMBOL_LENGTH
from marketjobs.store.base import Base

__all__ = [
    "MAX_PORTFOLIO_NAME_LENGTH",
    "Portfolio",
    "PortfolioPosition",
    "PortfolioReport",
    "PositionSpec",
    "get_portfolio",
    "latest_report",
    "list_portfolios",
    "merge_lots",
    "portfolio_dict",
    "portfolio_names",
    "report_dict",
    "save_portfolio",
    "save_report",
]

#: Longest portfolio name stored (the column's size).
MAX_PORTFOLIO_NAME_LENGTH = 64
#: Length of an ISO 4217 currency code.
CURRENCY_CODE_LENGTH = 3

#: SQLite only auto-increments an INTEGER PRIMARY KEY; elsewhere report ids get 64 bits.
_ReportId = BigInteger().with_variant(Integer(), "sqlite")


class Portfolio(Base):
    """A named portfolio: the benchmark its beta is measured against and the currency it is valued in."""

    __tablename__ = "portfolios"

    name: Mapped[str] = mapped_column(String(MAX_PORTFOLIO_NAME_LENGTH), primary_key=True)
    #: Symbol whose stored bars are the benchmark (e.g. "SPY"); None: no beta.
    benchmark: Mapped[str | None] = mapped_column(String(MAX_SYMBOL_LENGTH))
    #: ISO 4217 code of the prices and cost basis, e.g. "USD" (no conversion is done).
    base_currency: Mapped[str] = mapped_column(String(CURRENCY_CODE_LENGTH))
    #: UTC epoch milliseconds.
    created_at: Mapped[int] = mapped_column(BigInteger)


class PortfolioPosition(Base):
    """A holding of one symbol in a portfolio; deleted with its portfolio."""

    __tablename__ = "portfolio_positions"

    portfolio: Mapped[str] = mapped_column(
        String(MAX_PORTFOLIO_NAME_LENGTH),
        ForeignKey("portfolios.name", ondelete="CASCADE"),
        primary_key=True,
    )
    symbol: Mapped[str] = mapped_column(String(MAX_SYMBOL_LENGTH), primary_key=True)
    #: Units held (> 0; short positions are not supported).
    quantity: Mapped[float] = mapped_column(Double)
    #: Cost per unit; the position's cost basis is quantity * average_price.
    average_price: Mapped[float] = mapped_column(Double)
    #: When the position was opened, UTC epoch milliseconds (None: unknown).
    opened_at: Mapped[int | None] = mapped_column(BigInteger)


class PortfolioReport(Base):
    """One stored portfolio analysis: the metrics as of a bar, from the job that computed them."""

    __tablename__ = "portfolio_reports"

    id: Mapped[int] = mapped_column(_ReportId, primary_key=True, autoincrement=True)
    #: The analysed portfolio; None for an analysis of inline positions.
    portfolio: Mapped[str | None] = mapped_column(String(MAX_PORTFOLIO_NAME_LENGTH))
    job_id: Mapped[str | None] = mapped_column(String(64))
    #: Time of the newest bar the metrics include, UTC epoch milliseconds.
    as_of: Mapped[int] = mapped_column(BigInteger)
    #: ``{"summary": {...}, "positions": [...], "correlation": {...}, ...}`` (see PortfolioReport.to_dict).
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: UTC epoch milliseconds.
    created_at: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_portfolio_reports_portfolio_created_at", "portfolio", "created_at"),)


@dataclass(frozen=True, slots=True)
class PositionSpec:
    """A position to store: ``quantity`` units bought at ``average_price`` each."""

    symbol: str
    quantity: float
    average_price: float
    #: UTC epoch milliseconds, or None.
    opened_at: int | None = None


def _check_position(position: PositionSpec) -> None:
    if not position.symbol or len(position.symbol) > MAX_SYMBOL_LENGTH:
        raise ParameterError(
            f"symbol {position.symbol!r} must be 1 to {MAX_SYMBOL_LENGTH} characters; fix the position"
        )
    if not math.isfinite(position.quantity) or position.quantity <= 0:
        raise ParameterError(
            f"{position.symbol}: quantity {position.quantity} must be a finite number > 0 "
            "(short positions are not supported)"
        )
    if not math.isfinite(position.average_price) or position.average_price < 0:
        raise ParameterError(
            f"{position.symbol}: average price {position.average_price} must be a finite number >= 0"
        )


def merge_lots(positions: Sequence[PositionSpec]) -> list[PositionSpec]:
    """One position per symbol (first-seen order): quantities summed, prices weighted by quantity.

    >>> merge_lots([PositionSpec("A", 10, 100.0), PositionSpec("A", 30, 120.0)])
    [PositionSpec(symbol='A', quantity=40.0, average_price=115.0, opened_at=None)]
    """
    merged: dict[str, PositionSpec] = {}
    for position in positions:
        _check_position(position)
        seen = merged.get(position.symbol)
        if seen is None:
            merged[position.symbol] = position
            continue
        quantity = float(seen.quantity + position.quantity)
        cost = seen.quantity * seen.average_price + position.quantity * position.average_price
        opened = [t for t in (seen.opened_at, position.opened_at) if t is not None]
        merged[position.symbol] = PositionSpec(
            position.symbol, quantity, cost / quantity, min(opened) if opened else None
        )
    return list(merged.values())


def _check_name(name: str) -> None:
    if not name.strip() or len(name) > MAX_PORTFOLIO_NAME_LENGTH:
        raise ParameterError(
            f"portfolio name {name!r} must be 1 to {MAX_PORTFOLIO_NAME_LENGTH} characters, not blank"
        )


def save_portfolio(
    engine: Engine,
    name: str,
    positions: Sequence[PositionSpec],
    *,
    benchmark: str | None = None,
    base_currency: str = "USD",
    replace: bool = False,
) -> Portfolio:
    """Creates portfolio ``name`` with ``positions`` (lots of a symbol merged); ``replace`` overwrites one.

    Raises
    ------
    ParameterError
        Bad name, currency or position, no positions, or the portfolio exists and ``replace`` is False.
    """
    _check_name(name)
    if len(base_currency) != CURRENCY_CODE_LENGTH or not base_currency.isalpha():
        raise ParameterError(f"base currency {base_currency!r} is not a 3-letter ISO code such as USD")
    if benchmark is not None and not 0 < len(benchmark) <= MAX_SYMBOL_LENGTH:
        raise ParameterError(
            f"benchmark {benchmark!r} must be a symbol of 1 to {MAX_SYMBOL_LENGTH} characters"
        )
    lots = merge_lots(positions)
    if not lots:
        raise ParameterError(f"portfolio {name!r} needs at least one position, e.g. AAPL=10@150")
    portfolio = Portfolio(
        name=name, benchmark=benchmark, base_currency=base_currency.upper(), created_at=now_ms()
    )
    with engine.begin() as connection:
        exists = connection.execute(select(Portfolio.name).where(Portfolio.name == name)).first()
        if exists and not replace:
            raise ParameterError(
                f"portfolio {name!r} exists already; pass replace=True (--replace) to overwrite it"
            )
        connection.execute(delete(PortfolioPosition).where(PortfolioPosition.portfolio == name))
        connection.execute(delete(Portfolio).where(Portfolio.name == name))
        connection.execute(
            insert(Portfolio),
            [
                {
                    "name": name,
                    "benchmark": benchmark,
                    "base_currency": portfolio.base_currency,
                    "created_at": portfolio.created_at,
                }
            ],
        )
        connection.execute(
            insert(PortfolioPosition),
            [
                {
                    "portfolio": name,
                    "symbol": p.symbol,
                    "quantity": float(p.quantity),
                    "average_price": float(p.average_price),
                    "opened_at": p.opened_at,
                }
                for p in lots
            ],
        )
    return portfolio


def portfolio_names(engine: Engine) -> list[str]:
    """Names of every stored portfolio, sorted."""
    with engine.connect() as connection:
        return list(connection.execute(select(Portfolio.name).order_by(Portfolio.name)).scalars())


def get_portfolio(engine: Engine, name: str) -> tuple[Portfolio, list[PortfolioPosition]]:
    """Portfolio ``name`` and its positions (by symbol), or ParameterError saying how to create it."""
    with Session(engine) as session:
        portfolio = session.get(Portfolio, name)
        if portfolio is None:
            raise ParameterError(
                f"no portfolio named {name!r}; create it with "
                f"`marketjobs portfolios add {name} --position SYMBOL=QTY@PRICE` or pass positions inline"
            )
        positions = session.scalars(
            select(PortfolioPosition)
            .where(PortfolioPosition.portfolio == name)
            .order_by(PortfolioPosition.symbol)
        ).all()
        session.expunge_all()
    return portfolio, list(positions)


def portfolio_dict(portfolio: Portfolio, positions: Sequence[PortfolioPosition]) -> dict[str, Any]:
    """A portfolio and its positions (with their cost basis) as JSON-ready values."""
    return {
        "name": portfolio.name,
        "benchmark": portfolio.benchmark,
        "base_currency": portfolio.base_currency,
        "created_at": portfolio.created_at,
        "positions": [
            {
                "symbol": p.symbol,
                "quantity": p.quantity,
                "average_price": p.average_price,
                "cost_basis": p.quantity * p.average_price,
                "opened_at": p.opened_at,
            }
            for p in positions
        ],
    }


def report_dict(report: PortfolioReport | None) -> dict[str, Any] | None:
    """A stored report (its id, job, times and summary) as JSON-ready values; None for None."""
    if report is None:
        return None
    return {
        "id": report.id,
        "job_id": report.job_id,
        "as_of": report.as_of,
        "created_at": report.created_at,
        **report.summary,
    }


def list_portfolios(engine: Engine) -> list[dict[str, Any]]:
    """Every portfolio with its position count and its latest report's id, ``as_of`` and market value."""
    latest = (
        select(PortfolioReport.portfolio, func.max(PortfolioReport.id).label("report_id"))
        .where(PortfolioReport.portfolio.is_not(None))
        .group_by(PortfolioReport.portfolio)
        .subquery()
    )
    counts = (
        select(PortfolioPosition.portfolio, func.count().label("positions"))
        .group_by(PortfolioPosition.portfolio)
        .subquery()
    )
    query = (
        select(
            Portfolio.name,
            Portfolio.benchmark,
            Portfolio.base_currency,
            Portfolio.created_at,
            func.coalesce(counts.c.positions, 0),
            PortfolioReport.id,
            PortfolioReport.as_of,
            PortfolioReport.summary,
        )
        .outerjoin(counts, counts.c.portfolio == Portfolio.name)
        .outerjoin(latest, latest.c.portfolio == Portfolio.name)
        .outerjoin(PortfolioReport, PortfolioReport.id == latest.c.report_id)
        .order_by(Portfolio.name)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        {
            "name": name,
            "benchmark": benchmark,
            "base_currency": currency,
            "created_at": created,
            "positions": int(count),
            "report_id": report_id,
            "as_of": as_of,
            "market_value": (summary or {}).get("summary", {}).get("market_value"),
        }
        for name, benchmark, currency, created, count, report_id, as_of, summary in rows
    ]


def save_report(
    engine: Engine, *, portfolio: str | None, job_id: str | None, as_of: int, summary: dict[str, Any]
) -> int:
    """Stores one analysis report and returns its id."""
    values = {
        "portfolio": portfolio,
        "job_id": job_id,
        "as_of": as_of,
        "summary": summary,
        "created_at": now_ms(),
    }
    with engine.begin() as connection:
        key = connection.execute(insert(PortfolioReport).values(**values)).inserted_primary_key
        assert key is not None, "an INSERT reports the primary key it made"
        return int(key[0])


def latest_report(engine: Engine, portfolio: str) -> PortfolioReport | None:
    """The newest stored report of ``portfolio``, or None."""
    with Session(engine) as session:
        report = session.scalars(
            select(PortfolioReport)
            .where(PortfolioReport.portfolio == portfolio)
            .order_by(PortfolioReport.id.desc())
            .limit(1)
        ).first()
        session.expunge_all()
    return report
