"""Failures of this process' jobs on the SQL broker, kept so ``join(queue, fail_fast=True)`` raises a failed
job's own exception, as Dramatiq's StubBroker does, and the error text stored with each dead letter."""

from __future__ import annotations

import threading
import traceback
from collections import defaultdict, deque
from dataclasses import dataclass

from marketjobs.redact import redact_text

__all__ = ["ERROR_MAX_CHARS", "FAILURES_KEPT_PER_QUEUE", "Failure", "FailureLog", "describe"]

#: Longest error text stored with a dead letter, in characters.
ERROR_MAX_CHARS = 2_000
#: Failures kept per queue until ``flush_all``; the oldest are dropped beyond this.
FAILURES_KEPT_PER_QUEUE = 16


def describe(exception: BaseException | None) -> str | None:
    """``"TypeName: message"`` of ``exception``, redacted and bounded (None for None)."""
    if exception is None:
        return None
    name, detail = type(exception).__name__, str(exception)
    text = redact_text(f"{name}: {detail}" if detail else name)
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 3] + "..."


@dataclass(frozen=True, slots=True)
class Failure:
    """A message of this process that went to dead letters: its id, the exception (if any) and its text."""

    message_id: str
    exception: BaseException | None
    error: str | None


class FailureLog:
    """The newest failures of this process per queue; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_queue: defaultdict[str, deque[Failure]] = defaultdict(
            lambda: deque(maxlen=FAILURES_KEPT_PER_QUEUE)
        )

    def record(self, queue: str, message_id: str, exception: BaseException | None, error: str | None) -> None:
        """Keeps a failure of ``queue``; the exception's frames let go of their local variables (a failed
        job's data must not stay in memory for a join that a worker process never makes)."""
        if exception is not None:
            _release_locals(exception)
        with self._lock:
            self._by_queue[queue].append(Failure(message_id, exception, error))

    def first(self, queue: str) -> Failure | None:
        """The oldest failure kept for ``queue``, or None."""
        with self._lock:
            failures = self._by_queue.get(queue)
            return failures[0] if failures else None

    def clear(self) -> None:
        """Forgets every failure (``flush_all``, like StubBroker's dead letters)."""
        with self._lock:
            self._by_queue.clear()


def _release_locals(exception: BaseException) -> None:
    """Clears the finished frames of ``exception``'s traceback and of the exceptions chained to it."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exception]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if current.__traceback__ is not None:
            traceback.clear_frames(current.__traceback__)  # skips frames still running
        pending += [current.__cause__, current.__context__]
