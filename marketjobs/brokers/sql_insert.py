"""New messages into the SQL broker's table: many rows per statement, through a connection kept between
writes.

:class:`MessageWriter` is the write behind the broker's group commit
(:class:`~marketjobs.brokers.group_commit.GroupCommit`), so only one thread at a time uses it. It keeps one
pooled connection while sends keep coming, which spares each send the pool's liveness ping; a connection idle
for longer than :data:`IDLE_RECHECK_SECONDS` goes back to the pool and the next write takes one that was
pinged. On PostgreSQL a write that fits one statement runs in autocommit mode as a single statement that
inserts the rows and notifies their queues' listeners: one round trip. Anything larger is one transaction.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine

from marketjobs.brokers import sql_statements as statements
from marketjobs.brokers.sql_table import CHANNEL, retry_deadlocks
from marketjobs.clock import now_ms

__all__ = [
    "BYTES_PER_STATEMENT",
    "IDLE_RECHECK_SECONDS",
    "PG_ROWS_PER_STATEMENT",
    "PG_VALUES_MAX_ROWS",
    "ROWS_PER_STATEMENT",
    "MessageWriter",
    "NewMessage",
    "chunks",
]

#: Most rows of one INSERT statement (6 parameters a row: far below every driver's limit); on PostgreSQL,
#: whose statement takes one array per column, :data:`PG_ROWS_PER_STATEMENT`.
ROWS_PER_STATEMENT = 500
PG_ROWS_PER_STATEMENT = 10_000
#: PostgreSQL: up to this many rows go as a VALUES list, more as arrays (psycopg caches the parse of
#: statements with at most 50 parameters only, and a long VALUES list costs more to parse than to send).
PG_VALUES_MAX_ROWS = 8
#: Most payload bytes of one INSERT statement (MariaDB's max_allowed_packet is 16 MiB by default).
BYTES_PER_STATEMENT = 4 * 1024 * 1024
#: A kept connection idle this long (seconds) is handed back to the pool, which pings it before reuse.
IDLE_RECHECK_SECONDS = 1.0


class NewMessage(NamedTuple):
    """A message to store: its queue, priority rank, delay, Dramatiq message id and encoded payload."""

    queue: str
    priority: int
    delay_ms: int
    message_id: str
    payload: bytes


@lru_cache(maxsize=64)
def _insert_sql(dialect: str, rows: int) -> str:
    """The INSERT of ``rows`` rows in ``dialect``'s driver parameter style; on PostgreSQL it also notifies
    the listeners of each queue it wrote to (delivered at commit)."""
    if dialect == "sqlite":  # the process' clock: eta and enqueued_at are given
        row = statements.INSERT_ROW.format(eta="%s", now="%s").replace("%s", "?")
        return statements.INSERT_MANY + ", ".join([row] * rows)
    now = statements.NOW_SQL[dialect]
    if dialect == "postgresql" and rows > PG_VALUES_MAX_ROWS:
        insert = statements.INSERT_ARRAYS.format(now=now)
    else:
        insert = statements.INSERT_MANY + ", ".join(
            [statements.INSERT_ROW.format(eta=f"{now} + %s", now=now)] * rows
        )
    if dialect != "postgresql":
        return insert
    return statements.NOTIFY_INSERTED.format(insert=insert, channel=CHANNEL)


def _parameters(dialect: str, rows: Sequence[NewMessage]) -> tuple[Any, ...]:
    if dialect == "sqlite":
        now = now_ms()
        return tuple(
            value
            for queue, priority, delay, message_id, payload in rows
            for value in (queue, priority, now + delay, message_id, payload, now)
        )
    if dialect == "postgresql" and len(rows) > PG_VALUES_MAX_ROWS:
        return tuple(list(column) for column in zip(*rows, strict=True))
    return tuple(value for row in rows for value in row)


def chunks(rows: Sequence[NewMessage], max_rows: int = ROWS_PER_STATEMENT) -> list[Sequence[NewMessage]]:
    """``rows`` cut into statements of at most ``max_rows`` rows and :data:`BYTES_PER_STATEMENT` payload
    bytes (a larger payload gets a statement of its own)."""
    out: list[Sequence[NewMessage]] = []
    start, size = 0, 0
    for index, row in enumerate(rows):
        if index > start and (index - start >= max_rows or size + len(row.payload) > BYTES_PER_STATEMENT):
            out.append(rows[start:index])
            start, size = index, 0
        size += len(row.payload)
    if start < len(rows):
        out.append(rows[start:])
    return out


#: Serialises replacing a writer's lock in a forked child.
_FORK_LOCK = threading.Lock()


class MessageWriter:
    """Stores new messages in ``engine``'s ``broker_messages``, one transaction per :meth:`write`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        #: One statement is one transaction (PostgreSQL, in autocommit mode): no BEGIN and COMMIT trips.
        self._autocommit = self.dialect == "postgresql"
        self._rows_per_statement = PG_ROWS_PER_STATEMENT if self._autocommit else ROWS_PER_STATEMENT
        self._lock = threading.Lock()
        self._lock_pid = os.getpid()
        self._connection: Connection | None = None
        self._pid = 0
        self._last_used = 0.0
        #: Connections a forked child inherited: kept, never used or closed (they are the parent's).
        self._inherited: list[Connection] = []

    def write(self, rows: Sequence[NewMessage]) -> None:
        """Stores ``rows`` in one transaction (retried when the database aborts it to break a deadlock)."""
        if rows:
            retry_deadlocks(lambda: self._write_once(rows))

    def _write_once(self, rows: Sequence[NewMessage]) -> None:
        statements = chunks(rows, self._rows_per_statement)
        if self._autocommit and len(statements) > 1:
            with self.engine.begin() as connection:  # a bulk write: the pool's connection will do
                self._insert(connection, statements)
            return
        if self._lock_pid != os.getpid():
            # Forked while a write held the lock: the child's copy would stay locked for ever.
            with _FORK_LOCK:
                if self._lock_pid != os.getpid():
                    self._lock, self._lock_pid = threading.Lock(), os.getpid()
        with self._lock:
            connection = self._kept()
            try:
                if self._autocommit:
                    self._insert(connection, statements)
                    connection.commit()  # ends SQLAlchemy's bookkeeping; no round trip in autocommit
                else:
                    with connection.begin():
                        self._insert(connection, statements)
            except BaseException:
                self._release()  # returned (or discarded when the driver reported a lost connection)
                raise
            self._last_used = time.monotonic()

    def _insert(self, connection: Connection, statements: list[Sequence[NewMessage]]) -> None:
        for rows in statements:
            sql = _insert_sql(self.dialect, len(rows))
            connection.exec_driver_sql(sql, _parameters(self.dialect, rows)).close()

    def _kept(self) -> Connection:
        """The kept connection: fresh from the pool in a new process or after an idle spell."""
        if self._connection is not None and self._pid != os.getpid():
            self._inherited.append(self._connection)
            self._connection = None
        if self._connection is not None and time.monotonic() - self._last_used > IDLE_RECHECK_SECONDS:
            self._release()
        if self._connection is None:
            connection = self.engine.connect()
            if self._autocommit:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # a connection already lost: the pool discards it
                connection.close()

    def close(self) -> None:
        """Hands the kept connection back to the pool (a later write takes one again)."""
        with self._lock:
            if self._pid == os.getpid():
                self._release()
