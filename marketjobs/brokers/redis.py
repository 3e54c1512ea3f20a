"""Dramatiq's Redis broker with per-priority queues: the way to run workers on many hosts."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import redis
from dramatiq.brokers.redis import MAINTENANCE_COMMAND_BLACKLIST, _RedisConsumer
from dramatiq.brokers.redis import RedisBroker as DramatiqRedisBroker
from dramatiq.common import current_millis
from dramatiq.errors import ConnectionClosed, DecodeError
from dramatiq.message import Message

from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.depth import QueueDepth
from marketjobs.brokers.held_acks import HeldAcks, HoldableMessageProxy
from marketjobs.brokers.priorities import priority_queue_name
from marketjobs.clock import now_ms
from marketjobs.constants import Priority

__all__ = ["RedisBroker"]

logger = logging.getLogger(__name__)


class RedisBroker(MarketJobsBrokerMixin, DramatiqRedisBroker):
    """Redis broker: per-priority queues; dead letters kept by Dramatiq for ``dead_message_ttl``.

    Dramatiq requeues a dead worker's messages during "maintenance", which runs for the queue of the
    command that triggers it, on a random 0.1% of commands: on a quiet queue that can take hours. Here
    maintenance also runs for a queue whenever half a heartbeat timeout has passed since this process last
    ran it there, so a killed worker's messages come back within about 1.5 x ``lease_seconds``.
    """

    per_priority_queues = True

    @property
    def consumer_class(self) -> type[_RedisConsumer]:
        """Consumers whose acks can wait for the job record without blocking worker threads."""
        return _GatedRedisConsumer

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # type: ignore[no-untyped-call]
        self._maintained_at: dict[str, float] = {}
        self._held: dict[str, HeldAcks] = {}
        self._dispatching = threading.local()
        self._in_flight: dict[str, set[str]] = {}
        self._in_flight_lock = threading.Lock()

    def in_flight(self, queue_name: str) -> set[str]:
        """Redis ids of ``queue_name``'s messages delivered in this process and not yet settled (shared by
        the queue's successive consumers; guard it with :meth:`in_flight_lock`)."""
        return self._in_flight.setdefault(queue_name, set())

    @property
    def in_flight_lock(self) -> threading.Lock:
        """The lock of every :meth:`in_flight` set."""
        return self._in_flight_lock

    def _dispatch(self, command: str) -> Any:
        dispatch = super()._dispatch(command)  # type: ignore[no-untyped-call]

        def do_dispatch(queue_name: str, *args: Any) -> Any:
            self._dispatching.queue = queue_name
            return dispatch(queue_name, *args)

        return do_dispatch

    def settle_many(self, queue_name: str, settlements: Sequence[tuple[str, bool]]) -> None:
        """Acks (nacks where ``failed``) Redis message ids of ``queue_name`` in one round trip: Dramatiq's
        dispatch script once per id, in a pipeline, with the arguments Dramatiq's own ``do_ack`` sends.

        Raises ``redis.exceptions.NoScriptError`` when Redis lost the script (a restart): the caller settles
        one by one then, which loads it again (settling an id twice is harmless: the script skips ids no
        longer fetched)."""
        sha = self.scripts["dispatch"].sha
        self._dispatching.queue = queue_name
        pipeline = self.client.pipeline(transaction=False)
        for redis_id, failed in settlements:
            command = "nack" if failed else "ack"
            maintenance = self._should_do_maintenance(command)
            pipeline.evalsha(
                sha,
                1,
                self.namespace,
                command,
                current_millis(),
                queue_name,
                self.broker_id,
                self.heartbeat_timeout,
                self.dead_message_ttl,
                maintenance,
                self._max_unpack_size(),  # type: ignore[no-untyped-call]
                redis_id,
            )
        try:
            pipeline.execute()
        except redis.ConnectionError as exc:
            raise ConnectionClosed(exc) from None  # type: ignore[no-untyped-call]

    def _should_do_maintenance(self, command: str) -> int:
        if super()._should_do_maintenance(command):
            return 1
        queue = getattr(self._dispatching, "queue", None)
        if queue is None or command in MAINTENANCE_COMMAND_BLACKLIST:
            return 0
        now = time.monotonic()
        if now - self._maintained_at.get(queue, 0.0) < self.heartbeat_timeout / 2000:
            return 0
        self._maintained_at[queue] = now
        return 1

    def held_acks(self, queue_name: str) -> HeldAcks:
        """Acks of ``queue_name`` waiting for their job records (shared by its successive consumers)."""
        return self._held.setdefault(queue_name, HeldAcks())

    def purge_dead_letters(
        self,
        older_than: timedelta,
        *,
        batch_size: int = 2_000,
        dry_run: bool = False,
        check_stop: Callable[[], None] | None = None,
    ) -> int:
        """Dramatiq keeps a queue's dead message ids in ``<ns>:<queue>.XQ`` scored by death time, bodies in
        ``<ns>:<queue>.XQ.msgs``: removes both for ids dead longer than ``older_than``."""
        cutoff_ms = now_ms() - int(older_than.total_seconds() * 1000)
        client = self.client
        removed = 0
        for key in client.scan_iter(match=f"{self.namespace}:*.XQ", count=100):
            if dry_run:
                removed += int(client.zcount(key, 0, cutoff_ms))
                continue
            while True:
                if check_stop is not None:
                    check_stop()
                ids = client.zrangebyscore(key, 0, cutoff_ms, start=0, num=batch_size)
                if not ids:
                    break
                with client.pipeline(transaction=True) as pipe:
                    pipe.zrem(key, *ids)
                    pipe.hdel(key + (b".msgs" if isinstance(key, bytes) else ".msgs"), *ids)
                    removed += int(pipe.execute()[0])
        return removed

    def queue_latency(self, queue_name: str) -> float:
        """Seconds since the oldest ready message of any priority of ``queue_name`` became due: the head of
        each priority queue's list (Dramatiq pushes at the tail and fetches from the head)."""
        now = now_ms()
        oldest: int | None = None
        client: Any = self.client
        for priority in Priority:
            name = f"{self.namespace}:{priority_queue_name(queue_name, priority)}"
            head = client.lindex(name, 0)
            body = client.hget(f"{name}.msgs", head) if head is not None else None
            if body is None:
                continue
            try:
                message = Message.decode(body)
            except DecodeError:  # its consumer moves it to dead letters
                continue
            due = max(int(message.message_timestamp), int(message.options.get("eta") or 0))
            oldest = due if oldest is None else min(oldest, due)
        return 0.0 if oldest is None else max(0, now - oldest) / 1000

    def queue_depth(self, queue_name: str) -> QueueDepth:
        """Messages ready or in flight, delayed, and dead in ``queue_name``."""
        prefix = f"{self.namespace}:{queue_name}"
        client: Any = self.client
        ready = int(client.hlen(f"{prefix}.msgs"))
        delayed = int(client.hlen(f"{prefix}.DQ.msgs"))
        dead = int(client.zcard(f"{prefix}.XQ"))
        return QueueDepth(queue_name, ready=ready, delayed=delayed, dead=dead)


class _GatedRedisConsumer(_RedisConsumer):
    """Dramatiq's Redis consumer whose acks can wait for a gate (see :mod:`marketjobs.brokers.held_acks`).

    Held acks are written from the consumer thread before each fetch; the message leaves the prefetch count
    at once, so the worker keeps pulling work while its records are stored.

    A fetched payload that cannot be decoded at all (not a message: Dramatiq's consumer would raise, the
    worker would restart the consumer and the payload would stay fetched by this worker for good) is moved
    to the queue's dead letters and logged with the reason.

    A fetch whose answer is lost (Redis crashes or the connection drops after the script moved the messages
    to this worker's set of fetched ids, before they reached it) would leave those messages owned by a live
    worker that never saw them: its heartbeat keeps them from being requeued until the process exits. So a
    new consumer (Dramatiq makes one after every connection error) first requeues every id of that set that
    this process did not receive, or received and settled.
    """

    def __init__(self, broker: RedisBroker, queue_name: str, prefetch: int, timeout: int) -> None:
        super().__init__(broker, queue_name, prefetch, timeout)  # type: ignore[no-untyped-call]
        # Kept by the broker: a consumer Dramatiq restarts after a connection error inherits them.
        self.held = broker.held_acks(queue_name)
        self.in_flight = broker.in_flight(queue_name)
        self.in_flight_lock = broker.in_flight_lock
        # Dramatiq drops its in-memory delayed messages on a connection error: those stay with this worker.
        self._recovered = queue_name.endswith(".DQ")

    def ack(self, message: Any) -> None:
        self._settle(message, failed=False)

    def nack(self, message: Any) -> None:
        self._settle(message, failed=True)

    def _settle(self, message: Any, *, failed: bool) -> None:
        gate = message.ack_gate if isinstance(message, HoldableMessageProxy) else None
        if gate is None or gate():
            self._write(message, failed)
            return
        self.held.hold(message, failed=failed, gate=gate)
        self.queued_message_ids.discard(message.message_id)

    def _write(self, message: Any, failed: bool) -> None:
        if failed:
            super().nack(message)  # type: ignore[no-untyped-call]
        else:
            super().ack(message)  # type: ignore[no-untyped-call]
        with self.in_flight_lock:
            self.in_flight.discard(message.options.get("redis_message_id"))

    def _write_many(self, entries: list[tuple[Any, bool]]) -> None:
        """Settles held acks and nacks in one round trip (one by one if Redis lost Dramatiq's script)."""
        broker: Any = self.broker
        ids = [message.options.get("redis_message_id") for message, _ in entries]
        try:
            broker.settle_many(
                self.queue_name, [(i, failed) for i, (_, failed) in zip(ids, entries, strict=True)]
            )
        except redis.exceptions.NoScriptError:
            for message, failed in entries:
                self._write(message, failed)
            return
        with self.in_flight_lock:
            self.in_flight.difference_update(ids)

    def requeue(self, messages: Any) -> None:
        messages = list(messages)
        super().requeue(messages)  # type: ignore[no-untyped-call]
        with self.in_flight_lock:
            self.in_flight.difference_update(m.options.get("redis_message_id") for m in messages)

    def __next__(self) -> Any:
        if not self._recovered:
            self._requeue_lost_fetches()
        self.held.settle_open_together(self._write_many)
        try:
            proxy = super().__next__()  # type: ignore[no-untyped-call]
        except DecodeError:
            self._bury_undecodable()
            return None
        if proxy is None:
            return None
        with self.in_flight_lock:
            self.in_flight.add(proxy.options.get("redis_message_id"))
        return HoldableMessageProxy(proxy._message)

    def _requeue_lost_fetches(self) -> None:
        """Requeues the ids in this worker's set of fetched messages that it does not hold (see above).

        Only this thread fetches for the queue, so no id joins the set meanwhile; an id settled between the
        two reads is skipped by Dramatiq's requeue script, which moves only ids still in the set."""
        broker: Any = self.broker
        fetched_key = f"{broker.namespace}:__acks__.{broker.broker_id}.{self.queue_name}"
        try:
            fetched = broker.client.smembers(fetched_key)
            with self.in_flight_lock:
                held = set(self.in_flight)
            lost = sorted(i.decode() if isinstance(i, bytes) else str(i) for i in fetched)
            lost = [redis_id for redis_id in lost if redis_id not in held]
            if lost:
                broker.do_requeue(self.queue_name, *lost)
        except redis.ConnectionError as exc:
            raise ConnectionClosed(exc) from None  # type: ignore[no-untyped-call]
        if lost:
            logger.warning(
                "Requeued %d message(s) of queue %r fetched by this worker but never received (an answer "
                "lost with the connection to Redis)",
                len(lost),
                self.queue_name,
            )
        self._recovered = True

    def _bury_undecodable(self) -> None:
        """Nacks (dead-letters) every payload fetched by this worker from this queue that does not decode.

        Dramatiq's fetch returns bodies, not ids: the ids come from this worker's set of fetched messages."""
        broker: Any = self.broker
        client = broker.client
        acks = f"{broker.namespace}:__acks__.{broker.broker_id}.{self.queue_name}"
        ids = sorted(client.smembers(acks))
        bodies = client.hmget(f"{broker.namespace}:{self.queue_name}.msgs", ids) if ids else []
        for redis_id, body in zip(ids, bodies, strict=True):
            if body is None:
                continue
            try:
                Message.decode(body)
            except DecodeError as exc:
                text_id = redis_id.decode() if isinstance(redis_id, bytes) else str(redis_id)
                broker.do_nack(self.queue_name, text_id)
                logger.error(
                    "Undecodable message %s of queue %r moved to dead letters: %s",
                    text_id,
                    self.queue_name,
                    exc,
                )

    def close(self) -> None:
        self.held.drain(self._write)
        super().close()
