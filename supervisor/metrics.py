"""The supervisor's metrics, served with the aggregated metrics of its workers on ``metrics_port``.

The supervisor's own series live in memory (this process never sets ``PROMETHEUS_MULTIPROC_DIR`` for
itself); its workers write theirs into a multiprocess directory that one collector here reads, so one
scrape of the supervisor covers the host's workers and its scaling decisions.
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = ["SupervisorMetrics"]


class SupervisorMetrics:
    """Gauges and counters of the pools; :meth:`serve` exposes them with the workers' metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ["pool"]
        self.processes = Gauge(
            "marketjobs_supervisor_processes", "Worker processes per pool", labels, registry=self.registry
        )
        self.failing = Gauge(
            "marketjobs_supervisor_pool_failing",
            "1 while a pool is crash-looping and not restarted",
            labels,
            registry=self.registry,
        )
        self.latency = Gauge(
            "marketjobs_supervisor_queue_latency_seconds",
            "Wait of the oldest ready message of a pool's queues",
            labels,
            registry=self.registry,
        )
        self.waiting = Gauge(
            "marketjobs_supervisor_queue_waiting",
            "Messages ready or in flight in a pool's queues",
            labels,
            registry=self.registry,
        )
        self.scale_events = Counter(
            "marketjobs_supervisor_scale_events",
            "Pool size changes by direction and reason",
            ["pool", "direction", "reason"],
            registry=self.registry,
        )
        self.restarts = Counter(
            "marketjobs_supervisor_restarts",
            "Worker processes restarted after an exit nobody asked for",
            ["pool", "cause"],
            registry=self.registry,
        )
        self.recycles = Counter(
            "marketjobs_supervisor_recycles",
            "Worker processes drained and replaced by reason",
            ["pool", "reason"],
            registry=self.registry,
        )

    def serve(self, host: str, port: int, multiprocess_dir: Path | None) -> None:
        """Serves these metrics, and the workers' from ``multiprocess_dir``, on ``host:port``."""
        if multiprocess_dir is not None:
            MultiProcessCollector(self.registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]
        start_http_server(port, addr=host, registry=self.registry)
