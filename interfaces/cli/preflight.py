"""Before workers start (``marketjobs worker``, ``marketjobs supervisor``): wait for the broker and the store.

A service that does not answer is reported once per back-off step (1, 2, 4 ... 30 s) with what is wrong and
the fix, as the CLI words errors, instead of starting workers that would each fail on every queue. Once both
answer, the workers start; an outage after that is reported by the workers themselves
(:mod:`marketjobs.brokers.outage`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from interfaces.cli.failures import describe_failure
from marketjobs.brokers.outage import MAX_BACKOFF_SECONDS, MIN_BACKOFF_SECONDS
from marketjobs.config import SQL_SCHEMES, Settings, url_scheme
from marketjobs.store.engine import create_store_engine

__all__ = ["wait_for_services"]

logger = logging.getLogger(__name__)


def _ping_database(url: str) -> None:
    with create_store_engine(url).connect():
        pass


def _ping_broker(url: str) -> None:
    scheme = url_scheme(url)
    if scheme in SQL_SCHEMES:
        _ping_database(url)
    elif scheme in ("redis", "rediss"):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        try:
            client.ping()
        finally:
            client.close()
    elif scheme in ("amqp", "amqps"):
        import pika

        parameters = pika.URLParameters(url)
        parameters.connection_attempts, parameters.socket_timeout = 1, 5
        pika.BlockingConnection(parameters).close()


def wait_for_services(settings: Settings, *, stop: threading.Event | None = None) -> bool:
    """Returns once the broker and the store answer (True), or when ``stop`` is set first (False)."""
    stop = stop or threading.Event()
    checks: list[tuple[Callable[[], None], tuple[str, str] | None]] = [
        (lambda: _ping_broker(settings.broker_url), (settings.broker_url, "MARKETJOBS_BROKER_URL")),
        (lambda: _ping_database(settings.database_url), None),
    ]
    step = MIN_BACKOFF_SECONDS
    for check, where in checks:
        while True:
            try:
                check()
                break
            except Exception as exc:
                logger.warning("%s; retrying in %.0f s", describe_failure(exc, where=where).message, step)
            if stop.wait(step):
                return False
            step = min(2 * step, MAX_BACKOFF_SECONDS)
    return True
