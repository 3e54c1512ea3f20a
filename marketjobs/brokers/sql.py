"""The SQL broker: Dramatiq's broker contract on SQLite (embedded default), PostgreSQL or MariaDB.

* At-least-once delivery with leases: consumers lease messages under their process' owner id, a heartbeat
  thread renews all of the process' leases every quarter lease while it lives, and any consumer of the
  queue returns messages of an expired lease (a process killed with -9, a lost host) to the queue, so they
  come back within about 1.25 x ``lease_seconds``. Every settlement is fenced on the owner and the delivery
  count, so a delivery whose lease lapsed settles nothing.
* On PostgreSQL and MariaDB lease stamps, expiry and due times are read from the database's clock, so hosts
  whose clocks disagree neither take live leases nor keep expired ones; SQLite (one host) uses the process'.
* Delays live in the database (a message's ``eta``), not in worker memory; delivery is strict priority
  order (critical, high, normal, low), then by due time, then FIFO.
* A message delivered ``max_deliveries`` times without ever being settled (it kills its worker) is moved
  to dead letters rather than delivered again. A graceful requeue (a stopping worker hands back what it
  had not started) does not count as a delivery.
* Dead letters (nacked messages) stay in the table for ``dead_message_ttl`` milliseconds.
* A send returns once its message is committed. Sends that threads of one process make at the same moment
  share one INSERT and one commit (:mod:`~marketjobs.brokers.group_commit`); a lone send is one statement
  (one round trip on PostgreSQL). ``enqueue_many`` stores a list in one transaction.
* Idle consumers are woken by enqueues in the same process at once, by LISTEN/NOTIFY on PostgreSQL, and
  otherwise poll with back-off up to ``poll_max_seconds``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from dramatiq.broker import Broker, Consumer
from dramatiq.common import q_name
from dramatiq.errors import ConnectionClosed, QueueJoinTimeout
from dramatiq.message import Message
from dramatiq.middleware import Middleware
from sqlalchemy import and_

from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.depth import QueueDepth
from marketjobs.brokers.group_commit import GroupCommit
from marketjobs.brokers.priorities import parse_priority
from marketjobs.brokers.sql_consumer import SQLConsumer
from marketjobs.brokers.sql_failures import FailureLog
from marketjobs.brokers.sql_insert import MessageWriter, NewMessage
from marketjobs.brokers.sql_table import CHANNEL, TRANSIENT_ERRORS, MessageTable
from marketjobs.brokers.sql_wakeup import PostgresListener, Wakeups
from marketjobs.clock import now_ms
from marketjobs.constants import MESSAGE_OPTION_PRIORITY
from marketjobs.errors import QueueJoinFailed
from marketjobs.store.engine import create_store_engine
from marketjobs.store.maintenance import delete_in_batches
from marketjobs.store.migrate import ensure_migrated
from marketjobs.store.models import BrokerMessage

__all__ = ["LeaseHeartbeat", "SQLBroker", "SQLBrokerBase"]

logger = logging.getLogger(__name__)

#: Longest idle poll interval per dialect, in seconds (PostgreSQL is woken by NOTIFY instead).
POLL_MAX_SECONDS = {"sqlite": 0.025, "postgresql": 0.5}
#: Longest idle poll interval of other databases, in seconds.
DEFAULT_POLL_MAX_SECONDS = 0.05
#: Deliveries after which a message that was never settled (its worker died every time: a message that
#: crashes or exhausts the process) goes to dead letters instead of killing workers forever.
DEFAULT_MAX_DELIVERIES = 10
#: Dead letters are kept this long unless configured, in milliseconds (7 days, like Dramatiq's brokers).
DEFAULT_DEAD_MESSAGE_TTL_MS = 7 * 86_400_000


class SQLBrokerBase(Broker):
    """Dramatiq broker storing messages in the ``broker_messages`` table of ``url``'s database."""

    def __init__(
        self,
        url: str,
        *,
        middleware: list[Middleware] | None = None,
        lease_seconds: float = 60.0,
        dead_message_ttl: int = DEFAULT_DEAD_MESSAGE_TTL_MS,
        poll_max_seconds: float | None = None,
        max_deliveries: int = DEFAULT_MAX_DELIVERIES,
    ) -> None:
        super().__init__(middleware=middleware)
        self.url = url
        self.max_deliveries = max_deliveries
        self.engine = create_store_engine(url)
        ensure_migrated(self.engine)
        self.table = MessageTable(self.engine)
        self.lease_ms = int(lease_seconds * 1000)
        self.dead_message_ttl = dead_message_ttl
        self.poll_max_seconds = poll_max_seconds or POLL_MAX_SECONDS.get(
            self.table.dialect, DEFAULT_POLL_MAX_SECONDS
        )
        self.queues: set[str] = set()
        self.wakeups = Wakeups()
        #: This process' dead-lettered messages, for ``join(fail_fast=True)``.
        self.failures = FailureLog()
        self._owner: tuple[int, str] | None = None
        self._heartbeat: LeaseHeartbeat | None = None
        self._listener: PostgresListener | None = None
        self._listener_lock = threading.Lock()
        self.writer = MessageWriter(self.engine)
        #: Sends made at the same moment by threads of this process share one INSERT and one commit; a
        #: grouped write that fails on a value (not on the connection) is retried one send at a time.
        self._group_commit = GroupCommit(
            self.writer.write, split=lambda error: not isinstance(error, TRANSIENT_ERRORS)
        )

    @property
    def owner(self) -> str:
        """The lease owner of this process: every consumer here leases, renews and acks under it."""
        pid = os.getpid()
        if self._owner is None or self._owner[0] != pid:  # a forked child is a new owner
            self._owner = (pid, uuid.uuid4().hex)
        return self._owner[1]

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 30000) -> Consumer:
        """A consumer of ``queue_name`` leasing up to ``prefetch`` messages at a time.

        An idle ``next()`` returns None after ``timeout`` milliseconds.
        """
        if self.table.dialect == "postgresql":
            self._start_listener()
        with self._listener_lock:
            if self._heartbeat is None or not self._heartbeat.is_alive():
                self._heartbeat = LeaseHeartbeat(self)
                self._heartbeat.start()
        return SQLConsumer(self, queue_name, prefetch, timeout)

    def _start_listener(self) -> None:
        with self._listener_lock:
            if self._listener is None:
                self._listener = PostgresListener(self.engine, CHANNEL, self.wakeups)
                self._listener.start()

    def declare_queue(self, queue_name: str) -> None:
        """Declares ``queue_name``; delays need no queue of their own here."""
        if queue_name not in self.queues:
            self.emit_before("declare_queue", queue_name)
            self.queues.add(queue_name)
            self.emit_after("declare_queue", queue_name)

    def enqueue(self, message: Message[Any], *, delay: int | None = None) -> Message[Any]:
        """Stores ``message``, deliverable after ``delay`` milliseconds; returns once it is committed.

        Sends of other threads made at the same moment are committed with it, in one statement.
        """
        return self._store([message], delay)[0]

    def enqueue_many(
        self, messages: Sequence[Message[Any]], *, delay: int | None = None
    ) -> list[Message[Any]]:
        """Stores ``messages`` in one transaction (one statement per chunk of rows), each deliverable after
        ``delay`` milliseconds; returns them (as hooks saw them) once committed.

        Enqueue hooks run per message. All or nothing: when a hook refuses one message (a duplicate
        idempotency key, a message too large) or the database fails, none is stored and the error is
        raised (:class:`~dramatiq.errors.ConnectionClosed` when the database could not be reached).
        """
        return self._store(messages, delay)

    def _store(self, messages: Sequence[Message[Any]], delay: int | None) -> list[Message[Any]]:
        if not messages:
            return []
        prepared = [_prepare(message, delay) for message in messages]
        for message, _, _ in prepared:
            self.emit_before("enqueue", message, delay)
        rows = [
            NewMessage(message.queue_name, priority, delay or 0, message.message_id, stored.encode())
            for message, stored, priority in prepared
        ]
        try:
            self._group_commit.submit(rows)
        except TRANSIENT_ERRORS as exc:
            raise ConnectionClosed(exc) from None  # type: ignore[no-untyped-call]
        for queue_name in dict.fromkeys(row.queue for row in rows):
            self.wakeups.notify(queue_name)
        for message, _, _ in prepared:
            self.emit_after("enqueue", message, delay)
        return [message for message, _, _ in prepared]

    def get_declared_queues(self) -> set[str]:
        """Every queue declared on this broker."""
        return self.queues.copy()

    def get_declared_delay_queues(self) -> set[str]:
        """None: delayed messages wait in their own queue's table rows."""
        return set()

    def flush(self, queue_name: str) -> None:
        """Drops the ready, delayed and leased messages of ``queue_name`` (dead letters stay)."""
        self.table.flush(q_name(queue_name))

    def flush_all(self) -> None:
        """Flushes every declared queue and forgets the failures ``join(fail_fast=True)`` would raise."""
        for queue_name in self.queues:
            self.flush(queue_name)
        self.failures.clear()

    def join(
        self, queue_name: str, *, interval: int = 50, timeout: int | None = None, fail_fast: bool = False
    ) -> None:
        """Waits until ``queue_name`` holds no ready, delayed or leased message (meant for tests).

        Raises :class:`~dramatiq.errors.QueueJoinTimeout` after ``timeout`` ms. With ``fail_fast``, as soon
        as a message of the queue is dead-lettered, it raises like Dramatiq's StubBroker the failed job's
        own exception when the job failed in this process (since the last ``flush_all``), and otherwise
        :class:`~marketjobs.errors.QueueJoinFailed` naming the message and its error.
        """
        queue_name = q_name(queue_name)
        deadline = None if timeout is None else time.monotonic() + timeout / 1000
        dead_before = self.table.depth(queue_name)[2]
        while True:
            unfinished = self.table.unfinished(queue_name)
            if fail_fast:
                self._raise_failure(queue_name, dead_before)
            if not unfinished:
                return
            if deadline is not None and time.monotonic() >= deadline:
                raise QueueJoinTimeout(queue_name)  # type: ignore[no-untyped-call]
            time.sleep(interval / 1000)

    def _raise_failure(self, queue_name: str, dead_before: int) -> None:
        """Raises the failure of ``queue_name`` a fail-fast join reports, if there is one."""
        failure = self.failures.first(queue_name)
        if failure is not None and failure.exception is not None:
            raise failure.exception
        if failure is not None:
            message_id, error = failure.message_id, failure.error
        else:
            dead = self.table.depth(queue_name)[2]
            if dead <= dead_before:
                return
            message_id, error = self.table.newest_dead(queue_name, 1)[0]
        raise QueueJoinFailed(
            f"message {message_id} of queue {queue_name!r} was dead-lettered: "
            f"{error or 'no error was recorded'}; `marketjobs dlq list` shows the dead letters"
        )

    def queue_depth(self, queue_name: str) -> QueueDepth:
        """Messages ready or in flight, delayed, and dead in ``queue_name``."""
        ready, delayed, dead = self.table.depth(queue_name)
        return QueueDepth(queue_name, ready=ready, delayed=delayed, dead=dead)

    def close(self) -> None:
        """Stops the LISTEN and heartbeat threads and hands back the connection kept for sends; the shared
        engine stays open for others in the process."""
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        self.writer.close()


def _prepare(message: Message[Any], delay: int | None) -> tuple[Message[Any], Message[Any], int]:
    """(the message hooks see, the one stored, its priority rank) for an enqueue of ``message``."""
    queue_name = q_name(message.queue_name)
    if queue_name != message.queue_name:
        message = message.copy(queue_name=queue_name)
    stored = message
    if delay is not None:
        # Hooks see the eta (job records show when a retry is due); the stored copy has none, so a
        # worker never holds the message in memory waiting for it.
        message = message.copy(options={"eta": now_ms() + delay})
    elif "eta" in message.options:
        stored = message.copy()
        del stored.options["eta"]
    return message, stored, parse_priority(message.options.get(MESSAGE_OPTION_PRIORITY)).rank


class LeaseHeartbeat(threading.Thread):
    """Renews every lease of its broker's process every quarter lease, whatever its consumers are doing."""

    def __init__(self, broker: SQLBrokerBase) -> None:
        super().__init__(name="marketjobs-sql-heartbeat", daemon=True)
        self.broker = broker
        self._stopped = threading.Event()

    def run(self) -> None:
        interval = self.broker.lease_ms / 4000
        while not self._stopped.wait(interval):
            try:
                self.broker.table.renew(self.broker.owner, self.broker.lease_ms)
            except Exception as exc:
                logger.warning("Could not renew SQL broker leases (%s); retrying", exc)
                self._stopped.wait(min(interval, 1.0))

    def stop(self) -> None:
        """Ends the thread after its current renewal."""
        self._stopped.set()


class SQLBroker(MarketJobsBrokerMixin, SQLBrokerBase):
    """The SQL broker with marketjobs' priorities: native, one queue per actor queue."""

    per_priority_queues = False

    def enqueue_many(
        self, messages: Sequence[Message[Any]], *, delay: int | None = None
    ) -> list[Message[Any]]:
        """:meth:`SQLBrokerBase.enqueue_many` with priorities resolved; when it fails, every message's
        claims (idempotency keys) are released as for a failed ``enqueue``."""
        routed = [self.routed(message) for message in messages]
        try:
            return super().enqueue_many(routed, delay=delay)
        except Exception:
            for message in routed:
                self.enqueue_failed(message)
            raise

    def queue_latency(self, queue_name: str) -> float:
        """Seconds since the oldest ready message of ``queue_name`` became due (0.0: none ready)."""
        oldest, now = self.table.oldest_ready_eta(queue_name)
        return 0.0 if oldest is None else max(0, now - oldest) / 1000

    def purge_dead_letters(
        self,
        older_than: timedelta,
        *,
        batch_size: int = 2_000,
        dry_run: bool = False,
        check_stop: Callable[[], None] | None = None,
    ) -> int:
        """Deletes rows of ``broker_messages`` dead for longer than ``older_than``, in batches."""
        cutoff_ms = now_ms() - int(older_than.total_seconds() * 1000)
        table = BrokerMessage.__table__
        return delete_in_batches(
            self.table.engine,
            table,  # type: ignore[arg-type]
            and_(table.c.state == "dead", table.c.dead_at < cutoff_ms),
            batch_size=batch_size,
            dry_run=dry_run,
            check_stop=check_stop,
        )
