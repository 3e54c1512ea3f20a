"""marketjobs: background jobs for stock-market analysis on Dramatiq."""

from __future__ import annotations

import logging

# Alembic logs seven "setup plugin" lines at INFO when it is imported, and each migration step: noise at every
# worker start. Set before anything imports alembic; a level the user set first is kept.
if logging.getLogger("alembic").level == logging.NOTSET:
    logging.getLogger("alembic").setLevel(logging.WARNING)

from marketjobs.config import Settings, get_settings
from marketjobs.errors import MarketJobsError

__all__ = ["MarketJobsError", "Settings", "__version__", "get_settings"]

__version__ = "0.1.0"
