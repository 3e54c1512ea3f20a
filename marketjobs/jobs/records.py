"""The job-records middleware: one SQL row per message, written in batches through its whole life.

Errors and tracebacks are stored redacted (:func:`marketjobs.redact.redact_text`); parameters are stored as
sent, since a retry of the job needs them (every view of a record redacts them).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from typing import Any

from dramatiq import Middleware
from dramatiq.middleware import Retries as DramatiqRetries
from dramatiq.middleware import SkipMessage

from marketjobs.brokers.held_acks import HoldableMessageProxy
from marketjobs.clock import now_ms
from marketjobs.config import Settings
from marketjobs.constants import MESSAGE_OPTION_UNDECODABLE, Status
from marketjobs.errors import UndecodableMessageError
from marketjobs.jobs.cancel import CancelWatcher
from marketjobs.jobs.context import JobContext, peek_current_job, set_current_job
from marketjobs.jobs.payloads import is_undecodable
from marketjobs.jobs.rows import event_row, summarize_result, worker_fields
from marketjobs.jobs.writer import RecordWriter
from marketjobs.redact import redact_text
from marketjobs.store.engine import create_store_engine

__all__ = ["JobRecords"]

logger = logging.getLogger(__name__)

#: Longest an ack waits for the job's record to be stored.
ACK_WAIT_SECONDS = 10.0


class _ResultsKeptFilter(logging.Filter):
    """Drops Dramatiq's "result discarded" warning: job records keep a summary of every result."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Actor '%s' returned a value that is not None")


logging.getLogger("dramatiq.worker.WorkerThread").addFilter(_ResultsKeptFilter())


class JobRecords(Middleware):
    """Records pending → running → completed | retrying → dead | cancelled | skipped for every message."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pid: int | None = None
        self._writer: RecordWriter | None = None
        self._watcher: CancelWatcher | None = None
        #: Ids recorded dead in after_process_message, so after_nack does not write them again.
        self._recorded_dead: set[str] = set()
        #: Write tickets of each message's last event; its ack waits until that event is stored.
        self._tickets: dict[str, int] = {}
        #: Workers running on this broker in this process; the cancel poller runs while there are any.
        self._workers = 0
        self._workers_lock = threading.Lock()

    # -- per-process resources (created after fork) -------------------------------------------------

    def _ensure_process(self) -> None:
        if self._pid != os.getpid():
            engine = create_store_engine(self.settings.database_url)
            self._writer = RecordWriter(engine, flush_seconds=self.settings.records_flush_seconds)
            self._watcher = CancelWatcher(engine, poll_seconds=self.settings.cancel_poll_seconds)
            self._pid = os.getpid()

    @property
    def writer(self) -> RecordWriter:
        """This process's batched record writer."""
        self._ensure_process()
        assert self._writer is not None
        return self._writer

    @property
    def watcher(self) -> CancelWatcher:
        """This process's view of cancelled jobs."""
        self._ensure_process()
        assert self._watcher is not None
        return self._watcher

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Blocks until every record event so far is written."""
        return self.writer.flush(timeout)

    # -- hooks ------------------------------------------------------------------------------------------

    def after_enqueue(self, broker: Any, message: Any, delay: int | None) -> None:
        retries = message.options.get("retries", 0)
        eta = message.options.get("eta")
        if retries:
            # Retries re-enqueues a copy carrying the eta; the attempt that failed was number ``retries``.
            if delay:
                row = event_row(message, Status.RETRYING, retries, full=False, eta=eta)
                self.writer.upsert(row)
            return
        row = event_row(message, Status.PENDING, 0, eta=eta if delay else None)
        self.writer.insert(row)

    def before_worker_boot(self, broker: Any, worker: Any) -> None:
        with self._workers_lock:
            self._workers += 1
            self.watcher.start()

    def before_worker_shutdown(self, broker: Any, worker: Any) -> None:
        self.writer.flush()

    def after_worker_shutdown(self, broker: Any, worker: Any) -> None:
        with self._workers_lock:  # the last worker of this broker stops the cancel poller
            self._workers = max(0, self._workers - 1)
            if self._workers == 0:
                self.watcher.stop()

    def before_process_message(self, broker: Any, message: Any) -> None:
        if self.watcher.is_cancelled(message.message_id):
            raise SkipMessage(f"job {message.message_id} was cancelled")
        attempt = message.options.get("retries", 0) + 1
        job = JobContext(
            id=message.message_id,
            job_type=message.actor_name,
            attempt=attempt,
            _report=lambda ctx, pct, text: self._report_progress(message, ctx, pct, text),
            _is_cancelled=self.watcher.is_cancelled,
            _min_interval=self.settings.progress_interval_seconds,
            _options=message.options,
        )
        set_current_job(job)
        fields = worker_fields()
        row = event_row(
            message,
            Status.RUNNING,
            attempt,
            max_attempts=self._max_retries(broker, message) + 1,
            started_at=now_ms(),
            **fields,
        )
        self.writer.upsert(row)

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        job, attempt = self._end_job(message)
        # An undecodable message's stand-in has no parameters: keep those recorded when it was sent.
        full = job is None and not is_undecodable(message)
        if exception is None:
            status = Status.CANCELLED if job and job.saw_cancel else Status.COMPLETED
            row = event_row(
                message,
                status,
                attempt,
                full=full,
                result=summarize_result(result),
                progress=100.0 if status is Status.COMPLETED else (job.percent if job else 0.0),
                progress_message=job.message if job else None,
                finished_at=now_ms(),
            )
        else:
            status = Status.DEAD if message.failed else Status.RETRYING
            if status is Status.DEAD:
                self._recorded_dead.add(message.message_id)
            row = event_row(
                message,
                status,
                attempt,
                full=full,
                error=redact_text(f"{type(exception).__name__}: {exception}")[:10_000],
                traceback=redact_text("".join(traceback.format_exception(exception)))[-20_000:],
                progress=job.percent if job else 0.0,
                progress_message=job.message if job else None,
                finished_at=now_ms() if status is Status.DEAD else None,
            )
        self._record_final(message, row)

    def after_skip_message(self, broker: Any, message: Any) -> None:
        job, attempt = self._end_job(message)
        cancelled = (job is not None and job.saw_cancel) or self.watcher.is_cancelled(message.message_id)
        status = CancelWatcher.final_status(cancelled)
        self._record_final(
            message, event_row(message, status, attempt, full=job is None, finished_at=now_ms())
        )

    def before_ack(self, broker: Any, message: Any) -> None:
        self._wait_recorded(message)

    def before_nack(self, broker: Any, message: Any) -> None:
        self._wait_recorded(message)

    def _wait_recorded(self, message: Any) -> None:
        # The broker forgets a message once it is acked: store its outcome first, so a worker killed
        # right after the ack cannot leave a finished job recorded as running. Batches many acks per write.
        ticket = self._tickets.pop(message.message_id, None)
        if ticket is None or not self.settings.ack_after_record:
            return
        if isinstance(message, HoldableMessageProxy):
            # The broker settles acks in the background (the SQL broker): it holds this one until the
            # record is stored, and the worker thread moves on at once.
            writer, deadline = self.writer, time.monotonic() + ACK_WAIT_SECONDS
            message.hold_ack_until(
                lambda: not writer.healthy or writer.is_written(ticket) or time.monotonic() > deadline
            )
            return
        if self.writer.healthy and not self.writer.wait_written(ticket, ACK_WAIT_SECONDS):
            logger.error(
                "job record of %s not stored within %s s; acking anyway", message.message_id, ACK_WAIT_SECONDS
            )

    def after_nack(self, broker: Any, message: Any) -> None:
        if message.message_id in self._recorded_dead:
            self._recorded_dead.discard(message.message_id)
            return
        attempt = message.options.get("retries", 0) + 1  # failed before running: not counted by Retries
        error = message.options.get("traceback")
        fields: dict[str, Any] = {"traceback": redact_text(error)} if error else {}
        if is_undecodable(message):
            fields["error"] = redact_text(
                f"{UndecodableMessageError.__name__}: {message.options[MESSAGE_OPTION_UNDECODABLE]}"
            )
        full = not is_undecodable(message)
        self.writer.upsert(
            event_row(message, Status.DEAD, attempt, full=full, finished_at=now_ms(), **fields)
        )

    # -- helpers ----------------------------------------------------------------------------------------

    @staticmethod
    def _end_job(message: Any) -> tuple[JobContext | None, int]:
        """Unbinds the thread's job; returns it (None if the message never started) and its attempt."""
        job = peek_current_job()
        set_current_job(None)
        return job, job.attempt if job else message.options.get("retries", 0) + 1

    def _record_final(self, message: Any, row: dict[str, Any]) -> None:
        """Queues the last event of this delivery; the message's ack waits for it (ack_after_record)."""
        self._tickets[message.message_id] = self.writer.upsert(row)

    def _report_progress(self, message: Any, job: JobContext, percent: float, text: str | None) -> None:
        row = event_row(
            message, Status.RUNNING, job.attempt, full=False, progress=percent, progress_message=text
        )
        self.writer.upsert(row)

    def _max_retries(self, broker: Any, message: Any) -> int:
        value = message.options.get("max_retries")
        if value is None:
            value = broker.get_actor(message.actor_name).options.get("max_retries")
        if value is None:
            retries = next((m for m in broker.middleware if isinstance(m, DramatiqRetries)), None)
            value = retries.max_retries if retries else 0
        return int(value)
