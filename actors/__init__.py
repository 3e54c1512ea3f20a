"""The Dramatiq actors of marketjobs; ``dramatiq actors`` imports this package.

Importing it sets the global broker from settings (``MARKETJOBS_BROKER_URL``), so ``actor.send()`` works from
any process that imports ``actors``.
"""

from __future__ import annotations

import dramatiq

from marketjobs.config import Settings, get_settings
from marketjobs.jobs.broker import broker_from_url
from marketjobs.redact import install_log_redaction
from monitoring.worker import WorkerMetrics
from scheduler.middleware import PeriodicMiddleware

__all__ = [
    "alerts",
    "broker",
    "build_broker",
    "data_import",
    "diagnostics",
    "maintenance",
    "portfolio_analysis",
    "price_update",
    "technical_analysis",
]


def build_broker(settings: Settings) -> dramatiq.Broker:
    """The workers' broker: marketjobs' job middleware, the worker metrics of :mod:`monitoring`, and the
    ``periodic`` actor option that the actors' default schedules use (``periodiq actors`` runs them)."""
    return broker_from_url(
        settings.broker_url, settings=settings, middleware=[WorkerMetrics(), PeriodicMiddleware()]
    )


install_log_redaction()  # worker processes log no secret, whatever a job or a driver puts in a message
broker = build_broker(get_settings())
dramatiq.set_broker(broker)

# The actor modules must be imported after the broker is set: each declares its actors on it.
from actors import (  # noqa: E402
    alerts,
    data_import,
    diagnostics,
    maintenance,
    portfolio_analysis,
    price_update,
    technical_analysis,
)
