"""Group commit: rows that threads of one process store at the same moment go out in one write.

A sender hands its rows to :meth:`GroupCommit.submit` and blocks until they are committed. One committer
thread per process writes: it takes the pending submissions in arrival order, writes them in one call and
wakes the senders it served; submissions arriving meanwhile go out together in the next write. A lone
sender is written at once (no timer): one write per submission, as without grouping.

The writes happen on a thread of their own, not in a sender: Dramatiq interrupts worker threads with
exceptions raised asynchronously (``TimeLimitExceeded``, ``Shutdown``), and one landing in a sender that
led the write could leave the write half-done for every other sender of the process (they would wait for
ever) or hand its interrupt to them. An interrupted sender here only stops waiting; its rows are written.

A failed write fails every submission of it. When ``split`` says the error may belong to one submission's
rows rather than to the write (a bad value, not a lost connection), each submission of a grouped write is
written again alone, so only the faulty one fails.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["DEFAULT_MAX_ROWS", "GroupCommit"]

RowT = TypeVar("RowT")

#: Most rows one grouped write takes (a larger submission is written alone, whole).
DEFAULT_MAX_ROWS = 1_000
#: Serialises restarting after a fork (two threads of the child may find the parent's state at once).
_FORK_LOCK = threading.Lock()


class _Submission(Generic[RowT]):
    """One sender's rows and, once written, the outcome."""

    __slots__ = ("done", "error", "rows")

    def __init__(self, rows: Sequence[RowT]) -> None:
        self.rows = rows
        self.done = False
        self.error: BaseException | None = None


class GroupCommit(Generic[RowT]):
    """Gathers the rows of concurrent :meth:`submit` calls into single calls of ``write``.

    ``write`` stores a list of rows in one transaction and raises if nothing was stored. ``split(error)``
    is True when a failed grouped write should be retried one submission at a time.
    """

    def __init__(
        self,
        write: Callable[[list[RowT]], None],
        *,
        split: Callable[[Exception], bool] = lambda error: False,
        max_rows: int = DEFAULT_MAX_ROWS,
    ) -> None:
        self._write = write
        self._split = split
        self._max_rows = max_rows
        self._start()
        #: Writes made and rows written (for tests and benchmarks: how much grouping happened).
        self.writes = 0
        self.rows_written = 0

    def _start(self) -> None:
        """Fresh state and a committer thread: at creation, and in a forked child (threads do not survive a
        fork, and a write under way in the parent would otherwise never end here)."""
        self._pid = os.getpid()
        self._pending: deque[_Submission[RowT]] = deque()
        self._condition = threading.Condition()
        self._committer = threading.Thread(
            target=self._commit_forever, name="marketjobs-enqueue", daemon=True
        )
        self._committer.start()

    @property
    def waiting(self) -> int:
        """Submissions waiting for a write to take them."""
        with self._condition:
            return len(self._pending)

    def submit(self, rows: Sequence[RowT]) -> None:
        """Stores ``rows`` (all or none, in one transaction); returns once they are committed.

        Raises the write's error. An error of a failed grouped write reaches every sender of it, so it
        may be raised in several threads: callers wrap it rather than keep it.
        """
        if self._pid != os.getpid():
            with _FORK_LOCK:
                if self._pid != os.getpid():
                    self._start()
        submission = _Submission(rows)
        with self._condition:
            self._pending.append(submission)
            self._condition.notify_all()
            while not submission.done:
                self._condition.wait()
        if submission.error is not None:
            raise submission.error

    def _commit_forever(self) -> None:
        condition = self._condition
        while True:
            with condition:
                while not self._pending:
                    condition.wait()
                batch = self._take()
            try:
                self._run(batch)
            except BaseException as exc:  # never leave senders waiting, whatever happened
                self._fail(batch, exc)
            with condition:
                condition.notify_all()

    def _take(self) -> list[_Submission[RowT]]:
        """The oldest pending submissions, up to ``max_rows`` rows (always at least one submission)."""
        batch = [self._pending.popleft()]
        count = len(batch[0].rows)
        while self._pending and count + len(self._pending[0].rows) <= self._max_rows:
            count += len(self._pending[0].rows)
            batch.append(self._pending.popleft())
        return batch

    def _run(self, batch: list[_Submission[RowT]]) -> None:
        """Writes ``batch`` and records each submission's outcome (called without the lock)."""
        try:
            try:
                self._write_rows(batch)
            except Exception as exc:
                if len(batch) == 1 or not self._split(exc):
                    raise
                for submission in batch:
                    try:
                        self._write_rows([submission])
                    except Exception as alone:
                        submission.error = alone
                    submission.done = True
        except Exception as exc:
            self._fail(batch, exc)
        for submission in batch:
            submission.done = True

    @staticmethod
    def _fail(batch: list[_Submission[RowT]], error: BaseException) -> None:
        for submission in batch:
            if not submission.done:
                submission.error = error
                submission.done = True

    def _write_rows(self, batch: list[_Submission[RowT]]) -> None:
        rows = [row for submission in batch for row in submission.rows]
        self._write(rows)
        self.writes += 1
        self.rows_written += len(rows)
