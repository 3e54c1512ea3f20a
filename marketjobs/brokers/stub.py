"""Dramatiq's in-memory StubBroker with marketjobs' middleware, for tests."""

from __future__ import annotations

from dramatiq.brokers.stub import StubBroker as DramatiqStubBroker
from dramatiq.common import dq_name

from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.depth import QueueDepth

__all__ = ["StubBroker"]


class StubBroker(MarketJobsBrokerMixin, DramatiqStubBroker):
    """In-memory broker with per-priority queues, like Redis."""

    per_priority_queues = True

    def queue_depth(self, queue_name: str) -> QueueDepth:
        """Messages waiting, delayed, and dead in ``queue_name``."""
        ready = self.queues[queue_name].qsize() if queue_name in self.queues else 0
        delayed = self.queues[dq_name(queue_name)].qsize() if dq_name(queue_name) in self.queues else 0
        dead = len(self.dead_letters_by_queue.get(queue_name, ()))
        return QueueDepth(queue_name, ready=ready, delayed=delayed, dead=dead)
