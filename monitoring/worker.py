"""Worker metrics: job outcomes, durations and queue waits per actor, and liveness per worker process.

Worker processes share one Prometheus multiprocess directory (``PROMETHEUS_MULTIPROC_DIR``);
:func:`prepare_multiprocess_dir` empties it before they start (stale files would resurrect old series) and
``marketjobs worker`` calls it, one directory per metrics port so two worker groups on one host never
clash. The ``dramatiq`` CLI then runs :func:`serve_worker_metrics` as a fork process that serves the
aggregated metrics on ``metrics_host:metrics_port``. Without that variable the middleware does nothing.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from dramatiq import Middleware

from marketjobs.clock import MS_PER_SECOND, now_ms
from marketjobs.config import Settings, get_settings
from monitoring.names import OTHER_LABEL

__all__ = ["MULTIPROC_ENV", "WorkerMetrics", "prepare_multiprocess_dir", "serve_worker_metrics"]

#: The variable prometheus-client reads to share metrics between processes.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Set to "0" in a worker whose metrics another process serves (the supervisor's children).
METRICS_FORK_ENV = "MARKETJOBS_WORKER_METRICS_FORK"
#: Seconds buckets of job durations and queue waits: 10 ms to 1 hour.
BUCKETS_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)


def prepare_multiprocess_dir(settings: Settings, root: Path = Path("var/prometheus")) -> Path:
    """An empty multiprocess directory for the worker group on ``settings.metrics_port``, exported in env."""
    directory = (root / str(settings.metrics_port)).resolve()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(directory)
    return directory


def serve_worker_metrics() -> None:
    """Fork process of the ``dramatiq`` CLI: serves every worker process' metrics, aggregated."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    settings = get_settings()
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=registry)
    threading.Event().wait()


class WorkerMetrics(Middleware):
    """Counts and times every job per actor and queue; marks each worker process up while it lives.

    Actor and queue names come from the message, before the worker looks the actor up: a name the broker has
    not declared is labelled ``other``, so messages with made-up names cannot create series.
    """

    def __init__(self) -> None:
        self.enabled = bool(os.environ.get(MULTIPROC_ENV))
        self._metrics: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._started: dict[str, float] = {}

    @property
    def forks(self) -> list[Any]:
        # Under the supervisor every worker is its own dramatiq process: the supervisor serves them all.
        served_here = os.environ.get(METRICS_FORK_ENV, "1") != "0"
        return [serve_worker_metrics] if self.enabled and served_here else []

    def _get(self) -> dict[str, Any]:
        with self._lock:  # two metric objects on one multiprocess file would each overwrite the other's value
            return self._metrics or self._create()

    def _create(self) -> dict[str, Any]:
        if not self._metrics:
            from prometheus_client import Counter, Gauge, Histogram

            labels = ["actor_name", "queue_name"]
            self._metrics = {
                "jobs": Counter(
                    "marketjobs_jobs", "Jobs processed by outcome", [*labels, "outcome"], registry=None
                ),
                "duration": Histogram(
                    "marketjobs_job_duration_seconds",
                    "Job run time",
                    labels,
                    buckets=BUCKETS_SECONDS,
                    registry=None,
                ),
                "wait": Histogram(
                    "marketjobs_job_queue_wait_seconds",
                    "Time from enqueue (or due time) to start",
                    labels,
                    buckets=BUCKETS_SECONDS,
                    registry=None,
                ),
                "up": Gauge(
                    "marketjobs_worker_up",
                    "1 for each live worker process",
                    multiprocess_mode="liveall",
                    registry=None,
                ),
            }
        return self._metrics

    def after_worker_boot(self, broker: Any, worker: Any) -> None:
        if self.enabled:
            self._get()["up"].set(1)

    def after_worker_shutdown(self, broker: Any, worker: Any) -> None:
        if self.enabled:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    def before_process_message(self, broker: Any, message: Any) -> None:
        if not self.enabled:
            return
        now = now_ms()
        self._started[message.message_id] = time.monotonic()
        queued_at = message.options.get("eta") or message.message_timestamp
        if not isinstance(queued_at, int | float):
            queued_at = now
        labels = _labels(broker, message)
        self._get()["wait"].labels(*labels).observe(max(0.0, (now - queued_at) / MS_PER_SECOND))

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        self._finish(broker, message, "failed" if exception is not None else "completed")

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self._finish(broker, message, "skipped")

    def _finish(self, broker: Any, message: Any, outcome: str) -> None:
        if not self.enabled:
            return
        started = self._started.pop(message.message_id, None)
        labels = _labels(broker, message)
        metrics = self._get()
        if started is not None:
            metrics["duration"].labels(*labels).observe(time.monotonic() - started)
        metrics["jobs"].labels(*labels, outcome).inc()  # last: a scrape seeing the count sees the duration


def _labels(broker: Any, message: Any) -> tuple[str, str]:
    """(actor_name, queue_name) labels of ``message``; ``other`` for a name ``broker`` did not declare."""
    actor, queue = message.actor_name, message.queue_name
    known_actor = isinstance(actor, str) and actor in broker.actors
    known_queue = isinstance(queue, str) and queue in broker.get_declared_queues()
    return (actor if known_actor else OTHER_LABEL), (queue if known_queue else OTHER_LABEL)
