"""The result and rate-limiter backends that go with each broker, so pipelines, groups with completion
callbacks and rate limits work on every broker: Redis uses Redis, the SQL broker uses its own database,
RabbitMQ uses the job store's database, the stub broker keeps them in memory."""

from __future__ import annotations

from dramatiq.rate_limits import RateLimiterBackend
from dramatiq.results import ResultBackend

from marketjobs.config import SQL_SCHEMES, Settings, url_scheme

__all__ = ["backends_for"]


def backends_for(url: str, settings: Settings) -> tuple[ResultBackend, RateLimiterBackend]:
    """The (results, rate limiter) backends for a broker at ``url``."""
    scheme = url_scheme(url)
    if scheme in ("redis", "rediss"):
        from dramatiq.rate_limits.backends import RedisBackend as RedisRateLimiterBackend
        from dramatiq.results.backends import RedisBackend as RedisResultBackend

        return RedisResultBackend(url=url), RedisRateLimiterBackend(url=url)
    if scheme == "stub":
        from dramatiq.rate_limits.backends import StubBackend as StubRateLimiterBackend
        from dramatiq.results.backends import StubBackend as StubResultBackend

        return StubResultBackend(), StubRateLimiterBackend()  # type: ignore[no-untyped-call]
    from marketjobs.rate_limits.sql import SQLRateLimiterBackend
    from marketjobs.results.sql import SQLResultBackend

    database = url if scheme in SQL_SCHEMES else settings.database_url
    return SQLResultBackend(database), SQLRateLimiterBackend(database)
