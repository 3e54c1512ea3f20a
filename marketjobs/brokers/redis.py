"""Dramatiq's Redis broker with per-priority queues: the way to run workers on many hosts."""

from __future__ import annotations

from typing import Any

from dramatiq.brokers.redis import RedisBroker as DramatiqRedisBroker

from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.depth import QueueDepth

__all__ = ["RedisBroker"]


class RedisBroker(MarketJobsBrokerMixin, DramatiqRedisBroker):
    """Redis broker: per-priority queues; dead letters kept by Dramatiq for ``dead_message_ttl``."""

    per_priority_queues = True

    def queue_depth(self, queue_name: str) -> QueueDepth:
        """Messages ready or in flight, delayed, and dead in ``queue_name``."""
        prefix = f"{self.namespace}:{queue_name}"
        client: Any = self.client
        ready = int(client.hlen(f"{prefix}.msgs"))
        delayed = int(client.hlen(f"{prefix}.DQ.msgs"))
        dead = int(client.zcard(f"{prefix}.XQ"))
        return QueueDepth(queue_name, ready=ready, delayed=delayed, dead=dead)
