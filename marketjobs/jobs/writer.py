"""A background thread that batches job-record events into a few set-based writes.

Events for one message are merged in memory (newest ``seq`` wins per field), so a job that is enqueued,
started and finished within one flush interval costs one row write. Failed writes are kept and retried;
nothing is dropped while the process lives, and ``close()`` flushes at exit.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import Engine

from marketjobs.jobs.store_outage import report_store_error, store_reached
from marketjobs.store.upsert import insert_missing, upsert_newer

__all__ = ["RecordWriter"]

logger = logging.getLogger(__name__)

#: Rows per flush before a write is started early.
DEFAULT_MAX_BATCH = 2000
#: Longest wait between attempts after a failed write.
MAX_RETRY_SECONDS = 5.0
#: How long a process that exits waits for its last records when the store does not take them, in seconds.
EXIT_FLUSH_SECONDS = 10.0
#: The batching interval while held acks ask for their records (``is_written``), in seconds: short enough
#: that acks follow closely, long enough that a busy worker writes a few batches a second, not one per ask.
SOON_SECONDS = 0.02


class RecordWriter:
    """Collects job-record rows from any thread and writes them in batches from one thread.

    ``upsert`` and ``insert`` return a ticket; ``wait_written(ticket)`` blocks until that event is stored,
    starting a write at once instead of waiting out the batching interval (a group commit).
    """

    def __init__(self, engine: Engine, *, flush_seconds: float = 0.2, max_batch: int = DEFAULT_MAX_BATCH):
        self.engine = engine
        self.flush_seconds = flush_seconds
        self.max_batch = max_batch
        self._pending: dict[str, dict[str, Any]] = {}
        self._inserts_only: set[str] = set()
        self._cond = threading.Condition()
        self._submitted = 0
        self._written = 0
        self._urgent = False
        self._soon = False
        self._closed = False
        #: False while writes are failing; waiters do not block on a store that is down.
        self.healthy = True
        self._thread = threading.Thread(target=self._run, name="marketjobs-records", daemon=True)
        self._thread.start()
        atexit.register(self.close, EXIT_FLUSH_SECONDS)

    def insert(self, row: dict[str, Any]) -> int:
        """Queues a row that is written only if its id is not stored yet (a pending job)."""
        return self._submit(row, insert_only=True)

    def upsert(self, row: dict[str, Any]) -> int:
        """Queues a row that overwrites the stored one unless that one has a newer ``seq``."""
        return self._submit(row, insert_only=False)

    def _merge(self, row: dict[str, Any], *, insert_only: bool) -> None:
        """Adds ``row`` to the pending batch: per field, the event with the higher ``seq`` wins."""
        key = row["id"]
        current = self._pending.get(key)
        if current is None:
            self._pending[key] = dict(row)
            if insert_only:
                self._inserts_only.add(key)
            return
        if row["seq"] >= current["seq"]:
            current.update(row)
        else:
            for field, value in row.items():
                current.setdefault(field, value)
        if not insert_only:
            self._inserts_only.discard(key)

    def _submit(self, row: dict[str, Any], *, insert_only: bool) -> int:
        with self._cond:
            self._merge(row, insert_only=insert_only)
            self._submitted += 1
            if len(self._pending) == 1 or len(self._pending) >= self.max_batch:
                self._cond.notify_all()  # start a batch window, or cut it short when full
            return self._submitted

    def wait_written(self, ticket: int, timeout: float | None = 30.0) -> bool:
        """Blocks until the event with ``ticket`` (and all before it) is stored; False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._written < ticket:
                if not self._urgent:  # wake the writer once, not every other waiter
                    self._urgent = True
                    self._cond.notify_all()
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining if remaining is not None else 1.0)
        return True

    def is_written(self, ticket: int) -> bool:
        """True once the event with ``ticket`` is stored; until then shortens the batching interval to
        :data:`SOON_SECONDS` (a poller, unlike :meth:`wait_written`, asks again and again: cutting each batch
        short on every ask wrote one batch per ask)."""
        if self._written >= ticket:  # one int read: no lock needed to see it grow
            return True
        with self._cond:
            if self._written >= ticket:
                return True
            if not self._soon:
                self._soon = True
                self._cond.notify_all()
            return False

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Blocks until everything submitted so far is written; False on timeout."""
        with self._cond:
            ticket = self._submitted
        return self.wait_written(ticket, timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Writes what is left and stops the thread."""
        if self._closed:
            return
        if not self.flush(timeout):
            logger.error(
                "%d job-record events could not be written within %.0f s (is the store reachable?); "
                "the jobs themselves are unaffected, their records are stale",
                len(self._pending),
                timeout,
            )
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout if self.healthy else min(timeout, MAX_RETRY_SECONDS + 1))

    def _next_batch(self) -> tuple[dict[str, dict[str, Any]], set[str], int] | None:
        """Waits for work, lets a batch gather for ``flush_seconds`` unless someone waits; None to stop."""
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait()
            if not self._pending:
                return None
            started = time.monotonic()
            while not (self._urgent or self._closed or len(self._pending) >= self.max_batch):
                window = min(self.flush_seconds, SOON_SECONDS) if self._soon else self.flush_seconds
                remaining = started + window - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            batch, inserts, count = self._pending, self._inserts_only, self._submitted
            self._pending, self._inserts_only, self._urgent, self._soon = {}, set(), False, False
            return batch, inserts, count

    def _run(self) -> None:
        failures = 0
        while (taken := self._next_batch()) is not None:
            batch, inserts, count = taken
            try:
                self._write_batch(batch, inserts)
            except Exception as exc:
                failures += 1
                self.healthy = False
                if self._closed:  # closing gave up waiting (close() logged how many): stop, do not spin
                    return
                report_store_error(self.engine, exc, logger, f"writing {len(batch)} job records")
                self._put_back(batch, inserts)  # rewriting rows already stored is harmless
                time.sleep(min(MAX_RETRY_SECONDS, 0.1 * 2 ** min(failures, 10)))
                continue
            failures = 0
            self.healthy = True
            store_reached(self.engine)
            self._mark_written(count)

    def _write_batch(self, batch: dict[str, dict[str, Any]], inserts: set[str]) -> None:
        try:
            self._write(batch, inserts)
        except Exception as exc:
            if not _refused(exc):
                raise
            # A row the database refuses would block every later record: write them one by one.
            logger.exception("a batch of %d job records was refused; writing them one by one", len(batch))
            self._write_each(batch, inserts)

    def _mark_written(self, count: int) -> None:
        with self._cond:
            self._written = max(self._written, count)
            self._cond.notify_all()

    def _put_back(self, batch: dict[str, dict[str, Any]], inserts: set[str]) -> None:
        with self._cond:
            for key, row in batch.items():  # the failed rows are older than anything submitted since
                newer = self._pending.pop(key, None)
                newer_insert_only = key in self._inserts_only
                self._inserts_only.discard(key)
                self._merge(row, insert_only=key in inserts)
                if newer is not None:
                    self._merge(newer, insert_only=newer_insert_only)

    def _write_each(self, batch: dict[str, dict[str, Any]], inserts: set[str]) -> None:
        for key, row in batch.items():
            try:
                self._write({key: row}, inserts & {key})
            except Exception as exc:
                if not _refused(exc):
                    raise
                logger.exception("job record %s was refused by the database and is not stored: %r", key, row)

    def _write(self, batch: dict[str, dict[str, Any]], inserts: set[str]) -> None:
        groups: dict[tuple[bool, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)
        for key, row in batch.items():
            groups[(key in inserts, tuple(sorted(row)))].append(row)
        with self.engine.begin() as connection:
            for (insert_only, _), rows in groups.items():
                if insert_only:
                    insert_missing(connection, rows)
                else:
                    upsert_newer(connection, rows)


def _refused(exc: BaseException) -> bool:
    """True for errors about the data (too long, constraint), not the connection: retrying cannot help."""
    return any(cls.__name__ in ("DataError", "IntegrityError") for cls in type(exc).__mro__)
