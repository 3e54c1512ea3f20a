"""The worker registry middleware: each worker process keeps its row of the ``workers`` table fresh.

At boot it writes its row (host, pid, pool, queues, threads, version) as ``running``; a background thread
then writes one heartbeat every ``heartbeat_seconds`` with the jobs processed and failed so far, the message
ids in flight and the process' resident memory: one statement per heartbeat, however many jobs ran, so the
registry costs nothing per message beyond a counter. On shutdown the row says ``draining`` while in-flight
work finishes, then ``stopped``. A process killed with -9 stops heartbeating and is reported ``lost``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from importlib import metadata
from typing import Any

from dramatiq import Middleware

from marketjobs.clock import now_ms
from marketjobs.config import Settings
from marketjobs.jobs.store_outage import report_store_error, store_reached
from marketjobs.store.engine import create_store_engine
from marketjobs.store.workers import set_worker_state, write_heartbeat

__all__ = ["POOL_ENV", "WorkerRegistry", "resident_bytes"]

logger = logging.getLogger(__name__)

#: Environment variable the supervisor sets to the pool name of the processes it starts.
POOL_ENV = "MARKETJOBS_POOL"
#: Environment variable the supervisor sets to the queues a process consumes (comma-separated).
QUEUES_ENV = "MARKETJOBS_WORKER_QUEUES"


def resident_bytes() -> int:
    """This process' resident set size now (Linux /proc), else its peak (getrusage)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _version() -> str:
    try:
        return metadata.version("marketjobs")
    except metadata.PackageNotFoundError:
        return "unknown"


class WorkerRegistry(Middleware):
    """Writes this worker process' row of the registry at boot, every heartbeat, and at shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._processed = 0
        self._failed = 0
        self._current: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._row: dict[str, Any] = {}
        self._engine: Any = None

    def after_worker_boot(self, broker: Any, worker: Any) -> None:
        started = now_ms()
        hostname = socket.gethostname()
        queues = os.environ.get(QUEUES_ENV)
        self._row = {
            "id": f"{hostname}:{os.getpid()}:{started}",
            "hostname": hostname,
            "pid": os.getpid(),
            "parent_pid": os.getppid(),
            "pool": os.environ.get(POOL_ENV) or None,
            "queues": sorted(q for q in queues.split(",") if q) if queues else [],
            "threads": int(getattr(worker, "worker_threads", 0) or 0),
            "started_at": started,
            "version": _version(),
        }
        self._engine = create_store_engine(self.settings.database_url)
        self._beat("running")
        self._thread = threading.Thread(target=self._run, name="marketjobs-heartbeat", daemon=True)
        self._thread.start()

    def before_worker_shutdown(self, broker: Any, worker: Any) -> None:
        self._mark("draining")

    def after_worker_shutdown(self, broker: Any, worker: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.heartbeat_seconds + 5)
        self._beat("stopped")

    def before_process_message(self, broker: Any, message: Any) -> None:
        with self._lock:
            self._current.add(message.message_id)

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        with self._lock:
            self._current.discard(message.message_id)
            self._processed += 1
            if exception is not None:
                self._failed += 1

    def after_skip_message(self, broker: Any, message: Any) -> None:
        with self._lock:
            self._current.discard(message.message_id)

    @property
    def worker_id(self) -> str | None:
        """This process' registry id once booted."""
        return self._row.get("id")

    def _run(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_seconds):
            self._beat(None)

    def _mark(self, state: str) -> None:
        if self._engine is None:
            return
        try:
            set_worker_state(self._engine, self._row["id"], state, now_ms())  # type: ignore[arg-type]
            self._row["state"] = state
        except Exception:  # the registry must never stop a worker
            logger.warning("worker registry: could not record state %s", state, exc_info=True)

    def _beat(self, state: str | None) -> None:
        if self._engine is None:
            return
        if state is not None:
            self._row["state"] = state
        with self._lock:
            values = {
                **self._row,
                "heartbeat_at": now_ms(),
                "jobs_processed": self._processed,
                "jobs_failed": self._failed,
                "current_jobs": sorted(self._current),
                "rss_bytes": resident_bytes(),
            }
        values.setdefault("state", "running")
        try:
            write_heartbeat(self._engine, values)
        except Exception as exc:  # a store outage costs heartbeats, never jobs; the next beat tries again
            report_store_error(self._engine, exc, logger, "worker registry: storing a heartbeat")
        else:
            store_reached(self._engine)
