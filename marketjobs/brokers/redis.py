"""Dramatiq's Redis broker with per-priority queues: the way to run workers on many hosts."""

from __future__ import annotations

import time
from typing import Any

from dramatiq.brokers.redis import MAINTENANCE_COMMAND_BLACKLIST
from dramatiq.brokers.redis import RedisBroker as DramatiqRedisBroker

from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.depth import QueueDepth

__all__ = ["RedisBroker"]


class RedisBroker(MarketJobsBrokerMixin, DramatiqRedisBroker):
    """Redis broker: per-priority queues; dead letters kept by Dramatiq for ``dead_message_ttl``.

    Dramatiq requeues the messages of a dead worker during "maintenance", which it runs on a random 0.1%
    of commands: on a quiet system that can take hours. Here maintenance also runs whenever half a
    heartbeat timeout has passed since this process last ran it, so a killed worker's messages come back
    within about 1.5 x ``lease_seconds``.
    """

    per_priority_queues = True
    _last_maintenance = 0.0

    def _should_do_maintenance(self, command: str) -> int:
        due = time.monotonic() - self._last_maintenance >= self.heartbeat_timeout / 2000
        run = int(
            super()._should_do_maintenance(command) or (due and command not in MAINTENANCE_COMMAND_BLACKLIST)
        )
        if run:
            self._last_maintenance = time.monotonic()
        return run

    def queue_depth(self, queue_name: str) -> QueueDepth:
        """Messages ready or in flight, delayed, and dead in ``queue_name``."""
        prefix = f"{self.namespace}:{queue_name}"
        client: Any = self.client
        ready = int(client.hlen(f"{prefix}.msgs"))
        delayed = int(client.hlen(f"{prefix}.DQ.msgs"))
        dead = int(client.zcard(f"{prefix}.XQ"))
        return QueueDepth(queue_name, ready=ready, delayed=delayed, dead=dead)
