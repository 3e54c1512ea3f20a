"""Result backends for Dramatiq's Results middleware, picked to match the broker."""

from __future__ import annotations

from marketjobs.results.middleware import Results
from marketjobs.results.sql import SQLResultBackend

__all__ = ["Results", "SQLResultBackend"]
