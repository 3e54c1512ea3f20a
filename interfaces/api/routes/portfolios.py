"""Portfolios, read only: the list with each one's latest report, and one with its positions and report.
(Nothing here is secret: values are finite as stored, NaN and infinities as null; symbols are keys of the
correlation matrix, so the secret-key redaction would mask a ticker such as KEY.)"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from interfaces.api.auth import Viewer
from interfaces.api.deps import Store
from interfaces.api.redacted import finite
from marketjobs.errors import ParameterError
from marketjobs.store.portfolios import (
    get_portfolio,
    latest_report,
    list_portfolios,
    portfolio_dict,
    report_dict,
)

__all__ = ["PortfolioDetail", "PortfolioSummary", "Position", "router"]

router = APIRouter(prefix="/api/portfolios", tags=["portfolios"])


class PortfolioSummary(BaseModel):
    """A portfolio in the list (times in UTC epoch milliseconds)."""

    name: str
    benchmark: str | None
    base_currency: str
    created_at: int
    positions: int = Field(description="how many positions it holds")
    report_id: int | None = Field(description="its latest report")
    as_of: int | None = Field(description="the last bar its latest report covers")
    market_value: float | None


class Position(BaseModel):
    """One holding."""

    symbol: str
    quantity: float
    average_price: float
    cost_basis: float
    opened_at: int | None


class PortfolioDetail(BaseModel):
    """A portfolio, its positions and its latest report (None before the first portfolio_analysis)."""

    name: str
    benchmark: str | None
    base_currency: str
    created_at: int
    positions: list[Position]
    report: dict[str, Any] | None = Field(description="id, job_id, as_of, created_at and the summary")


@router.get("", response_model=list[PortfolioSummary], summary="Every portfolio")
def list_all(principal: Viewer, engine: Store) -> list[PortfolioSummary]:
    """Portfolios by name with their position count and latest report."""
    return [PortfolioSummary(**finite(row)) for row in list_portfolios(engine)]


@router.get("/{name}", response_model=PortfolioDetail, summary="One portfolio with its latest report")
def get_one(principal: Viewer, engine: Store, name: str) -> PortfolioDetail:
    """Positions (with cost basis) and the latest analysis: metrics, per-position values, correlation."""
    try:
        portfolio, positions = get_portfolio(engine, name)
    except ParameterError as exc:
        raise HTTPException(404, str(exc)) from None
    found = finite(portfolio_dict(portfolio, positions))
    return PortfolioDetail(**found, report=finite(report_dict(latest_report(engine, name))))
