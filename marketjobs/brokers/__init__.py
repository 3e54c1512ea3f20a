"""Brokers chosen by URL: ``sqlite://``, ``postgresql://``, ``mysql://`` (the SQL broker), ``redis://``,
``amqp://`` and ``stub://`` (tests). These are bare brokers: :func:`marketjobs.jobs.broker.broker_from_url`
adds the job middleware."""

from __future__ import annotations

from typing import Any

import dramatiq

from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.depth import QueueDepth
from marketjobs.brokers.outage import Outage
from marketjobs.brokers.priorities import RABBITMQ_MAX_PRIORITY
from marketjobs.config import BROKER_SCHEMES, SQL_SCHEMES, Settings, get_settings, url_scheme
from marketjobs.errors import UnsupportedBrokerError
from marketjobs.redact import redact_url

__all__ = ["QueueDepth", "open_broker", "queue_depths"]


def open_broker(url: str | None = None, *, settings: Settings | None = None) -> dramatiq.Broker:
    """A bare Dramatiq broker for ``url`` (default: the settings' broker URL), without job middleware.

    >>> broker = open_broker("stub://")
    >>> type(broker).__name__
    'StubBroker'
    """
    settings = settings or get_settings()
    url = url or settings.broker_url
    scheme = url_scheme(url)
    broker: dramatiq.Broker
    if scheme in ("redis", "rediss"):
        from marketjobs.brokers.redis import RedisBroker

        broker = RedisBroker(
            url=url,
            heartbeat_timeout=int(settings.lease_seconds * 1000),
            dead_message_ttl=int(settings.dead_letter_retention_days * 86_400_000),
        )
    elif scheme in ("amqp", "amqps"):
        from marketjobs.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(
            url=url,
            max_priority=RABBITMQ_MAX_PRIORITY,
            confirm_delivery=True,
        )
    elif scheme in SQL_SCHEMES:
        from marketjobs.brokers.sql import SQLBroker

        broker = SQLBroker(
            url,
            lease_seconds=settings.lease_seconds,
            dead_message_ttl=int(settings.dead_letter_retention_days * 86_400_000),
        )
    elif scheme == "stub":
        from marketjobs.brokers.stub import StubBroker

        broker = StubBroker()
    else:
        schemes = ", ".join(f"{s}://" for s in BROKER_SCHEMES)
        raise UnsupportedBrokerError(
            f"unsupported broker URL scheme {scheme!r}; set MARKETJOBS_BROKER_URL to one of {schemes}"
        )
    if isinstance(broker, MarketJobsBrokerMixin) and scheme != "stub":
        broker.outage = Outage(f"broker {redact_url(url)}", "start it or fix MARKETJOBS_BROKER_URL")
    return broker


def queue_depths(broker: dramatiq.Broker) -> list[QueueDepth]:
    """Depth of every queue the broker declared (delay queues are folded into their queue)."""
    reader: Any = getattr(broker, "queue_depth", None)
    if reader is None:
        raise UnsupportedBrokerError(
            f"{type(broker).__name__} cannot report queue depth; use marketjobs.jobs.broker.broker_from_url()"
        )
    names = sorted(q for q in broker.get_declared_queues() if not q.endswith((".DQ", ".XQ")))
    return [reader(name) for name in names]
