"""marketjobs: background jobs for stock-market analysis on Dramatiq."""

from __future__ import annotations

from marketjobs.config import Settings, get_settings
from marketjobs.errors import MarketJobsError

__all__ = ["MarketJobsError", "Settings", "__version__", "get_settings"]

__version__ = "0.1.0"
