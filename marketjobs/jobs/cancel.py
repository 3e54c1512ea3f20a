"""Cancellation: operators flag a job in SQL; each worker process polls the small set of flagged jobs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from sqlalchemy import Engine, and_, select, update

from marketjobs.constants import IN_FLIGHT_STATUSES, Status
from marketjobs.errors import JobNotFoundError, JobStateError
from marketjobs.jobs.store_outage import report_store_error, store_reached
from marketjobs.store.models import JobRecord

__all__ = ["CancelWatcher", "request_cancel", "request_cancel_many"]

logger = logging.getLogger(__name__)

_IN_FLIGHT = [s.value for s in IN_FLIGHT_STATUSES]
#: Ids per statement of a bulk cancel (well under every database's bound-parameter limit).
_BATCH = 500


def request_cancel(engine: Engine, job_id: str) -> Status:
    """Flags ``job_id`` for cancellation and returns its status at that moment.

    A pending job is skipped when a worker picks it up; a running job sees ``current_job().cancelled``.
    """
    with engine.begin() as connection:
        status = connection.execute(select(JobRecord.status).where(JobRecord.id == job_id)).scalar()
        if status is None:
            raise JobNotFoundError(f"no job {job_id}; list jobs with `marketjobs jobs list`")
        if status not in _IN_FLIGHT:
            raise JobStateError(
                f"job {job_id} is already {status}; only pending or running jobs can be cancelled"
            )
        connection.execute(update(JobRecord).where(JobRecord.id == job_id).values(cancel_requested=True))
    return Status(status)


def request_cancel_many(engine: Engine, job_ids: Sequence[str]) -> list[str]:
    """Flags those of ``job_ids`` still in flight for cancellation; returns the ids flagged (others are
    finished already and left alone)."""
    flagged: list[str] = []
    for start in range(0, len(job_ids), _BATCH):
        batch = list(job_ids[start : start + _BATCH])
        in_flight = and_(JobRecord.id.in_(batch), JobRecord.status.in_(_IN_FLIGHT))
        with engine.begin() as connection:
            ids = list(connection.execute(select(JobRecord.id).where(in_flight)).scalars())
            if ids:
                connection.execute(
                    update(JobRecord)
                    .where(JobRecord.id.in_(ids), JobRecord.status.in_(_IN_FLIGHT))
                    .values(cancel_requested=True)
                )
        flagged.extend(ids)
    return flagged


class CancelWatcher:
    """Keeps the ids of in-flight jobs flagged for cancellation, refreshed every ``poll_seconds``."""

    def __init__(self, engine: Engine, *, poll_seconds: float = 1.0) -> None:
        self.engine = engine
        self.poll_seconds = poll_seconds
        self._ids: frozenset[str] = frozenset()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def is_cancelled(self, job_id: str) -> bool:
        """True when ``job_id`` was flagged at the last refresh."""
        return job_id in self._ids

    def refresh(self) -> None:
        """Reloads the flagged ids now."""
        query = select(JobRecord.id).where(
            JobRecord.cancel_requested.is_(True), JobRecord.status.in_(_IN_FLIGHT)
        )
        with self.engine.connect() as connection:
            self._ids = frozenset(connection.execute(query).scalars())

    def start(self) -> None:
        """Loads the flagged ids once, then keeps refreshing them in a daemon thread (one per watcher)."""
        if self._thread is not None:
            return
        try:
            self.refresh()
        except Exception:
            logger.exception("loading cancelled jobs failed; will retry")
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(self._stop,), name="marketjobs-cancel", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stops refreshing (a later start() refreshes again)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    def _run(self, stop: threading.Event) -> None:
        while not stop.wait(self.poll_seconds):
            try:
                self.refresh()
            except Exception as exc:
                report_store_error(self.engine, exc, logger, "refreshing cancelled jobs")
            else:
                store_reached(self.engine)

    @staticmethod
    def final_status(saw_cancel: bool) -> Status:
        """How a job that stopped early ends: cancelled if it was asked to, else skipped."""
        return Status.CANCELLED if saw_cancel else Status.SKIPPED
