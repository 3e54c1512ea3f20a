"""Pure Polars analysis the job types call: portfolio metrics, risk measures and signal events.

Nothing here touches a broker or the store; every function takes and returns Polars frames or plain records.
"""

from __future__ import annotations

from marketjobs.analysis.portfolio import analyse_portfolio
from marketjobs.analysis.report import PortfolioReport, PortfolioSummary
from marketjobs.analysis.risk import Drawdown
from marketjobs.analysis.signals import (
    bollinger_signals,
    detect_signals,
    macd_signals,
    pattern_signals,
    rsi_signals,
    sma_signals,
)

__all__ = [
    "Drawdown",
    "PortfolioReport",
    "PortfolioSummary",
    "analyse_portfolio",
    "bollinger_signals",
    "detect_signals",
    "macd_signals",
    "pattern_signals",
    "rsi_signals",
    "sma_signals",
]
