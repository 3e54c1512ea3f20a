"""``current_job()``: what an actor knows about the job it runs (progress reporting, cancellation)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marketjobs.errors import JobCancelled, MarketJobsError

__all__ = ["JobContext", "current_job"]

_local = threading.local()

#: Longest progress message stored (the column's size).
MAX_PROGRESS_MESSAGE = 500


@dataclass
class JobContext:
    """The running job: report progress, see whether it was cancelled."""

    id: str
    job_type: str
    attempt: int
    _report: Callable[[JobContext, float, str | None], None] = field(repr=False)
    _is_cancelled: Callable[[str], bool] = field(repr=False)
    _min_interval: float = field(default=0.5, repr=False)
    _last_report: float = field(default=float("-inf"), repr=False)
    #: The running message's options (Dramatiq's pipeline continuation lives there).
    _options: dict[str, Any] = field(default_factory=dict, repr=False)
    #: Set once the job has observed a cancel request; the job then ends as cancelled.
    saw_cancel: bool = False
    percent: float = 0.0
    message: str | None = None

    def progress(self, percent: float, message: str | None = None) -> None:
        """Records progress 0-100 with a status message; writes are throttled (0 and 100 always go)."""
        self.percent = min(100.0, max(0.0, float(percent)))
        self.message = None if message is None else str(message)[:MAX_PROGRESS_MESSAGE]
        now = time.monotonic()
        if self.percent in (0.0, 100.0) or now - self._last_report >= self._min_interval:
            self._last_report = now
            self._report(self, self.percent, message)

    @property
    def cancelled(self) -> bool:
        """True once an operator asked to cancel this job; stop at the next safe point."""
        if self._is_cancelled(self.id):
            self.saw_cancel = True
        return self.saw_cancel

    @property
    def pipeline_next(self) -> dict[str, Any] | None:
        """The message a Dramatiq pipeline sends when this job succeeds (``pipe_target``), or None."""
        target = self._options.get("pipe_target")
        return dict(target) if target else None

    def hand_over_pipeline(self) -> None:
        """This job will not continue its pipeline itself: a job it started carries the continuation on
        (e.g. the completion callback of a group it fanned out). Call it once that job is sent."""
        self._options.pop("pipe_target", None)

    def raise_if_cancelled(self) -> None:
        """Raises JobCancelled when the job was cancelled, ending it as cancelled (not failed)."""
        if self.cancelled:
            raise JobCancelled(f"job {self.id} was cancelled")


def current_job() -> JobContext:
    """The job running in this worker thread; raises outside an actor run by marketjobs."""
    job: JobContext | None = getattr(_local, "job", None)
    if job is None:
        raise MarketJobsError(
            "current_job() called outside a running job; call it inside an actor whose broker was made by "
            "marketjobs.jobs.broker.broker_from_url()"
        )
    return job


def set_current_job(job: JobContext | None) -> None:
    """Binds ``job`` to this thread (None unbinds)."""
    _local.job = job


def peek_current_job() -> JobContext | None:
    """The job bound to this thread, or None."""
    return getattr(_local, "job", None)
