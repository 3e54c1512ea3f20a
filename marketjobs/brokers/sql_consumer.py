"""The SQL broker's consumer: leases messages in batches, renews its leases, settles acks in batches.

Acks and nacks from worker threads are queued in memory and written by the consumer thread together with
its next claim, so a busy consumer pays one short transaction per batch. A message is acked in the database
a few milliseconds after Dramatiq acks it; if the process dies in between, the lease expires and the message
is delivered again, which at-least-once delivery allows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from dramatiq.broker import Consumer, MessageProxy
from dramatiq.errors import ConnectionClosed
from dramatiq.message import Message

from marketjobs.brokers.held_acks import (
    CLOSE_SETTLE_SECONDS,
    GATE_POLL_SECONDS,
    Gate,
    HoldableMessageProxy,
    split_open,
)
from marketjobs.brokers.sql_failures import describe
from marketjobs.brokers.sql_table import TRANSIENT_ERRORS, ClaimedMessage, Delivery, Nack

if TYPE_CHECKING:
    from marketjobs.brokers.sql import SQLBrokerBase

__all__ = ["SQLConsumer", "SQLMessageProxy"]

logger = logging.getLogger(__name__)

#: Shortest wait between polls of an idle queue, in seconds; it doubles up to the broker's ``poll_max``.
POLL_MIN_SECONDS = 0.001
#: Wait after a failed database call before the next, in seconds.
ERROR_BACKOFF_SECONDS = 0.5


class SQLMessageProxy(HoldableMessageProxy):
    """A delivered message, the row that holds it and the row's delivery count when it was leased."""

    def __init__(self, message: Message[Any], row_id: int, deliveries: int) -> None:
        super().__init__(message)
        self.row_id = row_id
        self.deliveries = deliveries

    @property
    def delivery(self) -> Delivery:
        """What settling this message is fenced on: its row and delivery count."""
        return Delivery(self.row_id, self.deliveries)


class SQLConsumer(Consumer):
    """Consumes one queue of a :class:`~marketjobs.brokers.sql.SQLBrokerBase`."""

    def __init__(self, broker: SQLBrokerBase, queue_name: str, prefetch: int, timeout: int) -> None:
        self.broker = broker
        self.table = broker.table
        self.queue_name = queue_name
        self.prefetch = max(1, prefetch)
        self.timeout_seconds = timeout / 1000
        self._lock = threading.Lock()
        #: Deliveries leased and not yet acked, nacked or requeued by the worker.
        self._held: set[Delivery] = set()
        #: Settled by the worker, waiting to be written: (delivery or nack, gate or None).
        self._acks: list[tuple[Delivery, Gate | None]] = []
        self._nacks: list[tuple[Nack, Gate | None]] = []
        self._buffer: deque[SQLMessageProxy] = deque()
        self._wake = threading.Event()
        self._backoff = POLL_MIN_SECONDS
        #: The last claim took all it asked for: more is likely due, so the next one skips next_eta's trip.
        self._more_due = False
        #: Monotonic time of the next look at the queue (0: now).
        self._poll_at = 0.0
        self._housekept = 0.0
        self._gated = False
        #: Set when a round failed: a claim may have committed leases whose rows never arrived.
        self._unsure = False
        broker.wakeups.register(queue_name, self._wake)

    def ack(self, message: MessageProxy) -> None:
        self._settle(message, failed=False)

    def nack(self, message: MessageProxy) -> None:
        self._settle(message, failed=True)

    def _settle(self, message: MessageProxy, *, failed: bool) -> None:
        delivery = _delivery(message)
        gate = message.ack_gate if isinstance(message, HoldableMessageProxy) else None
        if failed:
            # The worker clears the exception once the message is settled: keep it for join(fail_fast).
            exception = getattr(message, "_exception", None)
            error = describe(exception)
            self.broker.failures.record(self.queue_name, message.message_id, exception, error)
        with self._lock:
            # Look the lists up under the lock: the consumer thread swaps in new lists as it writes them.
            if failed:
                self._nacks.append((Nack(delivery, error), gate))
            else:
                self._acks.append((delivery, gate))
            self._held.discard(delivery)
            wake = len(self._held) <= self.prefetch // 2
        if wake:
            self._wake.set()

    def requeue(self, messages: Iterable[MessageProxy]) -> None:
        deliveries = [_delivery(m) for m in messages]
        with self._lock:
            self._held.difference_update(deliveries)
        try:
            self.table.requeue(self.broker.owner, deliveries)
        except TRANSIENT_ERRORS as exc:
            raise ConnectionClosed(exc) from None  # type: ignore[no-untyped-call]

    def __next__(self) -> MessageProxy | None:
        deadline = time.monotonic() + self.timeout_seconds
        while True:
            if self._buffer:
                return self._buffer.popleft()
            try:
                if self._unsure:
                    self._release_unheld()
                self._housekeep()
                if self._fetch(check_queue=time.monotonic() >= self._poll_at):
                    continue
            except Exception as exc:
                # Stay the same consumer (Dramatiq would replace it): acks queued here are kept and retried.
                self._unsure = True
                logger.warning("SQL broker error on queue %r (%s); retrying", self.queue_name, exc)
                time.sleep(ERROR_BACKOFF_SECONDS)
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            wait = min(self._poll_at - time.monotonic(), remaining)
            if self._gated:
                wait = min(wait, GATE_POLL_SECONDS)
            if self._wake.wait(max(0.0, wait)):
                self._wake.clear()
                self._backoff = POLL_MIN_SECONDS
                self._poll_at = 0.0
            elif time.monotonic() >= self._poll_at:
                self._backoff = min(self._backoff * 2, self.broker.poll_max_seconds)

    def _release_unheld(self) -> None:
        """Returns this process' leases of the queue that no delivery holds (a claim that committed when its
        answer was lost with the connection): the heartbeat would renew them for as long as the process
        lives. Only this thread claims for the queue, and a delivery the worker settles meanwhile stays in
        the snapshot, so no lease in use is released."""
        with self._lock:
            held = {d.row_id for d in self._held}
            held.update(d.row_id for d, _ in self._acks)
            held.update(n.delivery.row_id for n, _ in self._nacks)
        released = self.table.release_unheld(self.queue_name, self.broker.owner, held)
        self._unsure = False
        if released:
            logger.warning(
                "Returned %d message(s) of queue %r that a failed claim had leased to this process",
                released,
                self.queue_name,
            )

    def _take_settled(self) -> tuple[list[Delivery], list[Nack]]:
        """Deliveries acked and nacked ready to write (their gates open); the others stay queued."""
        with self._lock:
            acks, self._acks = split_open(self._acks)
            nacks, self._nacks = split_open(self._nacks)
            self._gated = bool(self._acks or self._nacks)
        return acks, nacks

    def _fetch(self, *, check_queue: bool) -> bool:
        """Writes acks whose gates opened and, when ``check_queue``, leases due messages into the buffer.

        True when it leased any. Without room for more messages it does not look at the queue: an ack
        wakes the consumer when room frees up.
        """
        acks, nacks = self._take_settled()
        try:
            with self._lock:
                room = self.prefetch - len(self._held)
            due = False
            if room > 0 and check_queue and self._more_due:
                due = True  # a backlog: claim at once (a claim that finds nothing ends the streak)
                self._poll_at = time.monotonic() + self._backoff
            elif room > 0 and check_queue:
                next_eta, now = self.table.next_eta(self.queue_name)
                due = next_eta is not None and next_eta <= now
                # Look again after the back-off, or when the earliest delayed message is due.
                wait = self._backoff
                if next_eta is not None and next_eta > now:
                    wait = min(wait, (next_eta - now) / 1000)
                self._poll_at = time.monotonic() + wait
            elif room <= 0:
                self._poll_at = time.monotonic() + self.broker.poll_max_seconds
            if not (due or acks or nacks):
                return False
            asked = room if due else 0
            claimed = self.table.claim(
                self.queue_name, self.broker.owner, asked, self.broker.lease_ms, acks=acks, nacks=nacks
            )
            self._more_due = asked > 0 and len(claimed) >= asked
        except BaseException:
            with self._lock:
                self._acks[:0] = [(delivery, None) for delivery in acks]
                self._nacks[:0] = [(nack, None) for nack in nacks]
            raise
        for row in claimed:
            proxy = self._proxy(row)
            if proxy is not None:
                self._buffer.append(proxy)
        if claimed:
            self._poll_at = 0.0
        return bool(claimed)

    def _proxy(self, row: ClaimedMessage) -> SQLMessageProxy | None:
        """The delivered message, or None for a row that cannot be decoded (moved to dead letters)."""
        try:
            message = Message.decode(row.payload)
        except Exception as exc:
            # Kept as a dead letter for inspection rather than dropped.
            logger.error(
                "Undecodable message in row %d of queue %r moved to dead letters: %s",
                row.row_id,
                self.queue_name,
                exc,
            )
            with self._lock:
                self._nacks.append((Nack(Delivery(row.row_id, row.deliveries), describe(exc)), None))
            return None
        proxy = SQLMessageProxy(message, row.row_id, row.deliveries)
        if row.deliveries > self.broker.max_deliveries:
            logger.error(
                "Message %s of queue %r was delivered %d times and never settled (it kills its worker?); "
                "moved to dead letters",
                message.message_id,
                self.queue_name,
                row.deliveries - 1,
            )
            proxy.fail()
            error = f"delivered {row.deliveries - 1} times and never settled (it kills its worker?)"
            self.broker.failures.record(self.queue_name, message.message_id, None, error)
            with self._lock:
                self._nacks.append((Nack(proxy.delivery, error), None))
            # Let the middleware (job records) see it die.
            self.broker.emit_before("nack", proxy)
            self.broker.emit_after("nack", proxy)
            return None
        with self._lock:
            self._held.add(proxy.delivery)
        return proxy

    def _housekeep(self) -> None:
        """Returns expired leases of this queue to it, every quarter lease (the broker renews ours)."""
        now = time.monotonic()
        if now - self._housekept < self.broker.lease_ms / 4000:
            return
        returned = self.table.reap(self.queue_name, self.broker.dead_message_ttl)
        self._housekept = now
        if returned:
            logger.warning("Returned %d message(s) of expired leases to queue %r", returned, self.queue_name)

    def close(self) -> None:
        self.broker.wakeups.unregister(self.queue_name, self._wake)
        deadline = time.monotonic() + CLOSE_SETTLE_SECONDS
        acks, nacks = self._take_settled()
        while self._gated and time.monotonic() < deadline:
            time.sleep(GATE_POLL_SECONDS)
            more_acks, more_nacks = self._take_settled()
            acks += more_acks
            nacks += more_nacks
        buffered = [m.delivery for m in self._buffer]
        self._buffer.clear()
        try:
            self.table.settle(self.broker.owner, acks, nacks)
            self.table.requeue(self.broker.owner, buffered)
        except TRANSIENT_ERRORS as exc:
            logger.warning("Could not settle on close (%s); the leases will expire and redeliver", exc)


def _delivery(message: MessageProxy) -> Delivery:
    if not isinstance(message, SQLMessageProxy):
        raise TypeError(
            f"{message!r} was not delivered by the SQL broker; ack it on the consumer it came from"
        )
    return message.delivery
