"""What the supervisor looks at: each pool's queues on the broker, and this host's rows of the registry."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
from sqlalchemy import Engine

from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.priorities import base_queue_name, priority_queue_name
from marketjobs.clock import now_ms
from marketjobs.config import PoolSettings
from marketjobs.constants import Priority
from marketjobs.jobs.queries import oldest_pending_due_ms
from marketjobs.store.workers import WorkerStatus, list_workers
from supervisor.scaling import PoolLoad

__all__ = ["Observer"]

logger = logging.getLogger("marketjobs.supervisor")


class Observer:
    """Reads queue latency and depth from ``broker`` and worker rows from the store at ``engine``."""

    def __init__(self, broker: dramatiq.Broker, engine: Engine) -> None:
        self.broker = broker
        self.engine = engine

    def consumed_queues(self, spec: PoolSettings) -> list[str]:
        """The queue names a pool's workers whitelist: every priority queue of each user queue where the
        broker keeps priorities in separate queues (Redis, stub)."""
        if not spec.queues:
            return []
        if isinstance(self.broker, MarketJobsBrokerMixin) and self.broker.per_priority_queues:
            return sorted({priority_queue_name(q, p) for q in spec.queues for p in Priority})
        return sorted(spec.queues)

    def user_queues(self, spec: PoolSettings) -> list[str]:
        """The user queues a pool serves (every declared one when its ``queues`` is empty)."""
        if spec.queues:
            return list(spec.queues)
        declared = self.broker.get_declared_queues()
        return sorted({base_queue_name(q) for q in declared if not q.endswith((".DQ", ".XQ"))})

    def load(self, spec: PoolSettings) -> PoolLoad:
        """The oldest ready message's wait and the messages waiting over the pool's queues."""
        latency, waiting = 0.0, 0
        for queue in self.user_queues(spec):
            if isinstance(self.broker, MarketJobsBrokerMixin):
                latency = max(latency, self._latency(queue))
                reader: Any = getattr(self.broker, "queue_depth", None)
                if reader is not None:
                    names = (
                        {priority_queue_name(queue, p) for p in Priority}
                        if self.broker.per_priority_queues
                        else {queue}
                    )
                    waiting += sum(reader(name).ready for name in names)
        return PoolLoad(latency, waiting)

    def _latency(self, queue: str) -> float:
        """The broker's own reading, else (RabbitMQ cannot peek) the oldest pending job record's wait."""
        assert isinstance(self.broker, MarketJobsBrokerMixin)
        reading = self.broker.queue_latency(queue)
        if reading is not None:
            return reading
        now = now_ms()
        try:
            due = oldest_pending_due_ms(self.engine, queue, now)
        except Exception:  # a store outage must not stop scaling
            logger.warning("supervisor: job records unreadable for queue %s", queue, exc_info=True)
            return 0.0
        return 0.0 if due is None else (now - due) / 1000

    def registry(self, hostname: str, lost_after_seconds: float) -> dict[int, WorkerStatus]:
        """This host's registry rows by the parent pid (our ``dramatiq`` main process)."""
        try:
            rows = list_workers(
                self.engine,
                now_ms=now_ms(),
                lost_after_ms=int(lost_after_seconds * 1000),
                states=("running", "draining"),
            )
        except Exception:  # a store outage must not stop scaling
            logger.warning("supervisor: worker registry unreadable", exc_info=True)
            return {}
        return {r.parent_pid: r for r in rows if r.hostname == hostname and r.parent_pid is not None}
