"""Rate-limiter backends (rate limits, concurrency limits, group-completion barriers) matching the broker."""

from __future__ import annotations

from marketjobs.rate_limits.sql import SQLRateLimiterBackend

__all__ = ["SQLRateLimiterBackend"]
