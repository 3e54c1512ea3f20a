"""Dramatiq's in-memory StubBroker with marketjobs' middleware, for tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dramatiq.broker import Consumer, MessageProxy
from dramatiq.brokers.stub import StubBroker as DramatiqStubBroker
from dramatiq.brokers.stub import _StubConsumer
from dramatiq.common import dq_name

from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.depth import QueueDepth

__all__ = ["StubBroker"]


class StubBroker(MarketJobsBrokerMixin, DramatiqStubBroker):
    """In-memory broker with per-priority queues, like Redis."""

    per_priority_queues = True

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 100) -> Consumer:
        """Dramatiq's stub consumer, plus requeueing on graceful shutdown like the real brokers."""
        consumer: Any = DramatiqStubBroker.consume(self, queue_name, prefetch, timeout)
        requeueing = _RequeueingStubConsumer(  # type: ignore[no-untyped-call]
            consumer.queue, consumer.dead_letters, consumer.prefetch, timeout
        )
        return self.pausable(requeueing, queue_name, timeout)  # type: ignore[no-any-return]

    def queue_depth(self, queue_name: str) -> QueueDepth:
        """Messages waiting, delayed, and dead in ``queue_name``."""
        ready = self.queues[queue_name].qsize() if queue_name in self.queues else 0
        delayed = self.queues[dq_name(queue_name)].qsize() if dq_name(queue_name) in self.queues else 0
        dead = len(self.dead_letters_by_queue.get(queue_name, ()))
        return QueueDepth(queue_name, ready=ready, delayed=delayed, dead=dead)


class _RequeueingStubConsumer(_StubConsumer):
    """Puts messages a stopping worker did not run back on the in-memory queue."""

    def requeue(self, messages: Iterable[MessageProxy]) -> None:
        for message in messages:
            self.queue.put(message._message.encode())
            self.queue.task_done()
            self.prefetch_semaphore.release()
