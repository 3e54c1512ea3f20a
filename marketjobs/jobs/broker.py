"""The broker marketjobs runs on: a broker chosen by URL with our job middleware installed.

:func:`marketjobs.brokers.open_broker` makes the bare broker; this module adds what turns it into a job
system (priorities, idempotency keys, job records, retries, results, group callbacks) and any middleware
the caller brings from a higher layer (the actors add worker metrics this way; the core never imports them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dramatiq
from dramatiq import Middleware
from dramatiq.middleware import GroupCallbacks, TimeLimit
from dramatiq.middleware import Retries as DramatiqRetries
from dramatiq.rate_limits import RateLimiterBackend

from marketjobs.brokers import open_broker
from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.encryption import PayloadEncoder
from marketjobs.brokers.pause import PauseWatch
from marketjobs.config import Settings, get_settings
from marketjobs.jobs.backends import backends_for
from marketjobs.jobs.idempotency import Idempotency
from marketjobs.jobs.payloads import PayloadGuard
from marketjobs.jobs.priority import Priorities
from marketjobs.jobs.records import JobRecords
from marketjobs.jobs.registry import WorkerRegistry
from marketjobs.jobs.retries import Retries
from marketjobs.results.middleware import Results, silence_discarded_result_warning
from marketjobs.store.engine import create_store_engine
from marketjobs.store.queue_pauses import paused_queues

__all__ = ["broker_from_url", "install_middleware", "rate_limiter_backend"]


def broker_from_url(
    url: str | None = None, *, settings: Settings | None = None, middleware: Iterable[Middleware] = ()
) -> dramatiq.Broker:
    """A broker for ``url`` (default: the settings' broker URL) with our middleware, then ``middleware``.

    >>> broker = broker_from_url("stub://")
    >>> type(broker).__name__
    'StubBroker'
    """
    settings = settings or get_settings()
    url = url or settings.broker_url
    broker = install_middleware(open_broker(url, settings=settings), settings, url)
    for extra in middleware:
        broker.add_middleware(extra)
    return broker


def install_middleware(broker: dramatiq.Broker, settings: Settings, url: str) -> dramatiq.Broker:
    """Applies settings to Dramatiq's middleware and adds priorities, the worker registry, retries,
    records, idempotency, results and group callbacks (with the backends that suit the broker at ``url``).

    Also installs the process' payload encoder (encryption and compression from settings; results are
    encoded with it too) and, ahead of every other middleware, the payload guard (size limit at send,
    undecodable messages to dead letters)."""
    dramatiq.set_encoder(PayloadEncoder.from_settings(settings))
    broker.add_middleware(
        PayloadGuard(max_message_bytes=settings.max_message_bytes),
        before=type(broker.middleware[0]) if broker.middleware else None,
    )
    broker.middleware[:] = [m for m in broker.middleware if not isinstance(m, DramatiqRetries)]
    for existing in broker.middleware:
        if isinstance(existing, TimeLimit):
            existing.time_limit = settings.time_limit_seconds * 1000
    if isinstance(broker, MarketJobsBrokerMixin):
        engine = create_store_engine(settings.database_url)
        broker.pause_watch = PauseWatch(lambda: paused_queues(engine))
    results_backend, limiter_backend = backends_for(url, settings)
    broker.rate_limiter_backend = limiter_backend  # type: ignore[attr-defined]
    broker.add_middleware(Results(backend=results_backend))  # type: ignore[no-untyped-call]
    silence_discarded_result_warning()
    broker.add_middleware(GroupCallbacks(limiter_backend))
    broker.add_middleware(Priorities())
    broker.add_middleware(WorkerRegistry(settings))
    # Dramatiq calls after_* hooks in reverse order: records come before Retries so that they see what
    # Retries decided (message.failed, the retry's eta) for the same message.
    broker.add_middleware(Idempotency(settings.database_url))
    broker.add_middleware(JobRecords(settings))
    broker.add_middleware(
        Retries(
            max_retries=settings.max_retries,
            min_backoff=max(1, int(settings.min_backoff_seconds * 1000)),
            max_backoff=max(1, int(settings.max_backoff_seconds * 1000)),
        )
    )
    return broker


def rate_limiter_backend(broker: dramatiq.Broker | None = None) -> RateLimiterBackend:
    """The rate-limiter backend installed on ``broker`` (default: the global broker), for
    :class:`dramatiq.rate_limits.ConcurrentRateLimiter` and friends."""
    broker = broker or dramatiq.get_broker()
    backend: Any = getattr(broker, "rate_limiter_backend", None)
    if backend is None:
        raise RuntimeError(
            f"{type(broker).__name__} has no rate-limiter backend; "
            "create the broker with marketjobs.jobs.broker.broker_from_url()"
        )
    return backend  # type: ignore[no-any-return]
