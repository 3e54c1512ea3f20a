"""The SQL broker's message table: runs every statement of the broker and its consumers (their text is in
:mod:`~marketjobs.brokers.sql_statements`), in short transactions, but the inserts of new messages
(:mod:`~marketjobs.brokers.sql_insert`).

A message is ``ready`` (deliverable once ``eta`` has passed), ``leased`` to one consumer until
``lease_expires``, or ``dead``. Claims take the oldest due messages of the highest priority; on PostgreSQL and
MariaDB with ``FOR UPDATE SKIP LOCKED`` so consumers never wait on each other, on SQLite inside one
``BEGIN IMMEDIATE`` transaction (SQLite has a single writer). Times are epoch milliseconds, read from the
database's clock on PostgreSQL and MariaDB (hosts' clocks differ) and from the process' on SQLite (one host).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection, CursorResult, Engine, TextClause, bindparam, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.util.typing import TupleAny

from marketjobs.brokers import sql_statements as statements
from marketjobs.clock import now_ms
from marketjobs.store.engine import READ_ONLY_OPTION

__all__ = ["ClaimedMessage", "Delivery", "MessageTable", "Nack"]

T = TypeVar("T")

READY = "ready"
LEASED = "leased"
DEAD = "dead"


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A message leased to a consumer: its row id, encoded payload and how often it was delivered."""

    row_id: int
    payload: bytes
    deliveries: int


class Delivery(NamedTuple):
    """One delivery of a message: its row and the row's delivery count when it was leased.

    Every settlement is fenced on both, so a delivery whose lease lapsed cannot settle a later delivery of
    the same row, even one leased by the same process.
    """

    row_id: int
    deliveries: int


class Nack(NamedTuple):
    """A delivery that failed, and why (the error text stored with the dead letter; None: unknown)."""

    delivery: Delivery
    error: str | None


def _by_count(deliveries: Iterable[Delivery]) -> dict[int, list[int]]:
    """Row ids grouped by delivery count: one fenced statement per group (usually a single one)."""
    groups: dict[int, list[int]] = {}
    for row_id, count in deliveries:
        groups.setdefault(count, []).append(row_id)
    return groups


#: Error codes of a transaction the database chose as a deadlock or lock-timeout victim: safe to retry.
#: (MariaDB's lock-wait timeout, 1205, is not retried: it already waited 50 s.)
_RETRYABLE_CODES = frozenset({"40P01", "40001", "1213"})
#: Attempts at a transaction that keeps losing deadlocks before the error is raised.
DEADLOCK_ATTEMPTS = 8


def _is_deadlock(exc: OperationalError) -> bool:
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or (orig.args[0] if orig is not None and orig.args else None)
    return str(code) in _RETRYABLE_CODES


def retry_deadlocks(operation: Callable[[], T]) -> T:
    """Runs ``operation`` (one transaction) again when the database aborts it to break a deadlock.

    MariaDB's gap locks make concurrent inserts and ``SKIP LOCKED`` claims deadlock now and then; the
    aborted transaction changed nothing, so running it again is safe.
    """
    for attempt in range(DEADLOCK_ATTEMPTS):
        try:
            return operation()
        except OperationalError as exc:
            if not _is_deadlock(exc) or attempt == DEADLOCK_ATTEMPTS - 1:
                raise
            time.sleep(0.001 * (2**attempt))
    raise AssertionError("unreachable")


class MessageTable:
    """The ``broker_messages`` table of one database, reached through ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        #: The clock of the statements: the database's, or None where the process' is given (SQLite).
        self._now_sql = statements.NOW_SQL.get(self.dialect)
        self._claim = statements.claim_sql(self.dialect)
        self._texts: dict[str, TextClause] = {}

    def _text(self, sql: str) -> TextClause:
        """``sql`` (one of the statements above) for this table's dialect."""
        statement = self._texts.get(sql)
        if statement is None:
            statement = text(sql.format(now=self._now_sql or ":now"))
            if ":ids" in sql:
                statement = statement.bindparams(bindparam("ids", expanding=True))
            self._texts[sql] = statement
        return statement

    def _execute(
        self, connection: Connection, sql: str, params: dict[str, Any] | list[dict[str, Any]]
    ) -> CursorResult[*TupleAny]:
        """Runs ``sql`` with ``params`` (a list: once per item); on SQLite, now is this process' clock."""
        if self._now_sql is None:
            now = now_ms()
            if isinstance(params, list):
                params = [{**item, "now": now} for item in params]
            else:
                params = {**params, "now": now}
        return connection.execute(self._text(sql), params)

    def next_eta(self, queue: str) -> tuple[int | None, int]:
        """(when the earliest ready message of ``queue`` is due, or None when it holds none; now), both on
        the table's clock."""
        with self._reader() as connection:
            eta, now = self._execute(connection, statements.NEXT_ETA, {"queue": queue}).one()
        return (None if eta is None else int(eta)), int(now)

    def claim(
        self,
        queue: str,
        owner: str,
        limit: int,
        lease_ms: int,
        *,
        acks: Sequence[Delivery] = (),
        nacks: Sequence[Nack] = (),
    ) -> list[ClaimedMessage]:
        """Settles ``owner``'s acks and nacks, then leases up to ``limit`` due messages; one transaction."""
        return retry_deadlocks(lambda: self._claim_once(queue, owner, limit, lease_ms, acks, nacks))

    def _claim_once(
        self,
        queue: str,
        owner: str,
        limit: int,
        lease_ms: int,
        acks: Sequence[Delivery],
        nacks: Sequence[Nack],
    ) -> list[ClaimedMessage]:
        with self.engine.begin() as connection:
            self._settle(connection, owner, acks, nacks)
            if limit <= 0:
                return []
            if self.dialect == "postgresql":
                # Statistics of a queue table go stale in seconds (a burst lands in a table analyzed
                # empty; autovacuum may be off or a minute away): PostgreSQL then took another index and
                # sorted the whole backlog for every claim (65 ms at 33,000 messages, on disk). The claim
                # must walk ix_broker_messages_next, which hands rows over in the claim's order.
                connection.exec_driver_sql("SET LOCAL enable_sort = off")
            rows = self._execute(connection, self._claim, {"queue": queue, "limit": limit}).all()
            if not rows:
                return []
            ids = [int(row[0]) for row in rows]
            self._execute(connection, statements.LEASE, {"owner": owner, "lease_ms": lease_ms, "ids": ids})
        return [ClaimedMessage(int(r[0]), bytes(r[1]), int(r[2]) + 1) for r in rows]

    def settle(self, owner: str, acks: Sequence[Delivery], nacks: Sequence[Nack]) -> None:
        """Deletes acked messages and moves nacked ones to dead letters, each only while ``owner`` still
        holds that delivery."""
        if acks or nacks:
            retry_deadlocks(lambda: self._in_transaction(self._settle, owner, acks, nacks))

    def _settle(
        self, connection: Connection, owner: str, acks: Sequence[Delivery], nacks: Sequence[Nack]
    ) -> None:
        for count, ids in _by_count(acks).items():
            self._execute(connection, statements.ACK, {"ids": ids, "owner": owner, "deliveries": count})
        if nacks:
            rows = [
                {"id": row_id, "deliveries": count, "owner": owner, "error": error}
                for (row_id, count), error in nacks
            ]
            self._execute(connection, statements.NACK, rows)

    def _in_transaction(self, work: Callable[..., T], *args: Any) -> T:
        with self.engine.begin() as connection:
            return work(connection, *args)

    def _write(self, sql: str, params: dict[str, Any]) -> int:
        """Runs one write statement in its own transaction (retried on deadlock); returns its row count."""

        def run(connection: Connection) -> int:
            return int(self._execute(connection, sql, params).rowcount)

        return retry_deadlocks(lambda: self._in_transaction(run))

    def requeue(self, owner: str, deliveries: Iterable[Delivery]) -> None:
        """Returns messages ``owner`` still holds in these deliveries to their queue at once, uncounted
        (they were never run)."""
        groups = _by_count(deliveries)
        if groups:

            def requeue(connection: Connection) -> None:
                for count, ids in groups.items():
                    self._execute(
                        connection, statements.REQUEUE, {"ids": ids, "owner": owner, "deliveries": count}
                    )

            retry_deadlocks(lambda: self._in_transaction(requeue))

    def release_unheld(self, queue: str, owner: str, held: Iterable[int]) -> int:
        """Returns to ``queue``, uncounted, the messages leased to ``owner`` whose row ids are not in
        ``held``; how many. After a claim failed, its leases may have committed with no one to run them."""
        return self._write(statements.RELEASE_UNHELD, {"queue": queue, "owner": owner, "ids": sorted(held)})

    def renew(self, owner: str, lease_ms: int) -> None:
        """Extends every lease ``owner`` holds to ``lease_ms`` from now."""
        self._write(statements.RENEW, {"owner": owner, "lease_ms": lease_ms})

    def reap(self, queue: str, dead_ttl_ms: int) -> int:
        """Returns messages of expired leases to ``queue`` and drops dead letters past their retention."""
        with self._reader() as connection:
            expired = self._execute(connection, statements.EXPIRED, {"queue": queue}).first() is not None
        returned = self._write(statements.REAP, {"queue": queue}) if expired else 0
        self._write(statements.PURGE_DEAD, {"queue": queue, "dead_ttl_ms": dead_ttl_ms})
        return returned

    def flush(self, queue: str) -> None:
        """Drops every message of ``queue`` except its dead letters."""
        self._write(statements.FLUSH, {"queue": queue})

    def unfinished(self, queue: str) -> int:
        """Messages of ``queue`` not yet acked or dead: ready, delayed or leased."""
        with self._reader() as connection:
            return int(self._execute(connection, statements.UNFINISHED, {"queue": queue}).scalar() or 0)

    def depth(self, queue: str) -> tuple[int, int, int]:
        """(ready or in flight, delayed, dead) messages of ``queue``."""
        ready = delayed = dead = 0
        with self._reader() as connection:
            for state, is_delayed, count in self._execute(connection, statements.DEPTH, {"queue": queue}):
                if state == DEAD:
                    dead += int(count)
                elif state == READY and is_delayed:
                    delayed += int(count)
                else:
                    ready += int(count)
        return ready, delayed, dead

    def newest_dead(self, queue: str, limit: int) -> list[tuple[str, str | None]]:
        """(message id, error) of the ``limit`` newest dead letters of ``queue``, newest first."""
        with self._reader() as connection:
            rows = self._execute(connection, statements.NEWEST_DEAD, {"queue": queue, "limit": limit}).all()
        return [(str(message_id), error) for message_id, error in rows]

    def oldest_ready_eta(self, queue: str) -> tuple[int | None, int]:
        """(the due time of the oldest message of ``queue`` ready for delivery, or None; now), both in
        epoch ms on the table's clock."""
        with self._reader() as connection:
            eta, now = self._execute(connection, statements.OLDEST_READY, {"queue": queue}).one()
        return (None if eta is None else int(eta)), int(now)

    def _reader(self) -> Connection:
        """A connection for reads that takes no write lock (a deferred transaction on SQLite)."""
        return self.engine.connect().execution_options(**{READ_ONLY_OPTION: True})


#: PostgreSQL NOTIFY channel carrying the name of the queue that received a message.
CHANNEL = "marketjobs_broker"

#: Errors that mean the database could not be reached or was busy; callers retry after a pause.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
