"""Dramatiq's RabbitMQ broker with native message priorities (``x-max-priority``)."""

from __future__ import annotations

import logging

from dramatiq.brokers.rabbitmq import RabbitmqBroker as DramatiqRabbitmqBroker

from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.depth import QueueDepth

__all__ = ["RabbitmqBroker"]

# pika logs every failed connection attempt of every consumer thread at ERROR with a traceback; consumers
# report an outage once per back-off step instead (marketjobs.brokers.outage). A level the user set is kept.
if logging.getLogger("pika").level == logging.NOTSET:
    logging.getLogger("pika").setLevel(logging.CRITICAL)


class RabbitmqBroker(MarketJobsBrokerMixin, DramatiqRabbitmqBroker):
    """RabbitMQ broker: one queue per name, delivered highest priority first."""

    per_priority_queues = False
    uses_broker_priority = True
    dead_letters_note = "RabbitMQ expires its dead letters itself (Dramatiq's dramatiq_dead_message_ttl)"

    def queue_depth(self, queue_name: str) -> QueueDepth:
        """Messages ready (not yet delivered), delayed, and dead in ``queue_name``."""
        ready, delayed, dead = self.get_queue_message_counts(queue_name)
        return QueueDepth(queue_name, ready=ready, delayed=delayed, dead=dead)
