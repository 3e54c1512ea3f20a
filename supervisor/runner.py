"""The supervisor loop: every interval, reap exited workers, measure each pool's queues, scale, recycle.

Every decision is logged with its reason and counted (:mod:`supervisor.metrics`). SIGTERM drains every
pool (each worker finishes or gives back its jobs) and returns; SIGHUP reloads the pools from the settings
without dropping work: removed pools are drained, changed ones are resized and their workers replaced.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dramatiq

from marketjobs.config import Settings
from marketjobs.store.engine import create_store_engine
from marketjobs.store.workers import WorkerStatus
from supervisor.metrics import SupervisorMetrics
from supervisor.observe import Observer
from supervisor.processes import CRASH_WINDOW_SECONDS, PoolProcesses, WorkerProcess, worker_argv
from supervisor.scaling import Decision, PoolLoad, ScaleState, decide

__all__ = ["Supervisor"]

logger = logging.getLogger("marketjobs.supervisor")

#: Bytes in a MiB (max_rss_mb).
MIB = 1024 * 1024


@dataclass
class Pool:
    """A pool's processes and its scaling memory."""

    processes: PoolProcesses
    state: ScaleState = field(default_factory=ScaleState)
    #: Restarts owed after unexpected exits (started once the back-off allows).
    owed: int = 0


class Supervisor:
    """Keeps each pool of ``settings.pools`` between its min and max worker processes on ``broker``."""

    def __init__(
        self,
        broker: dramatiq.Broker,
        settings: Settings,
        *,
        metrics: SupervisorMetrics | None = None,
        multiprocess_dir: Path | None = None,
        reload_settings: Callable[[], Settings] | None = None,
    ) -> None:
        self.broker = broker
        self.settings = settings
        self.metrics = metrics or SupervisorMetrics()
        self.multiprocess_dir = multiprocess_dir
        self.reload_settings = reload_settings
        self.hostname = socket.gethostname()
        self.observer = Observer(broker, create_store_engine(settings.database_url))
        self.pools: dict[str, Pool] = {}
        #: Processes of pools removed by a reload, draining until they exit.
        self.retired: list[WorkerProcess] = []
        self.configure(settings)

    # -- configuration -------------------------------------------------------------------------------

    def configure(self, settings: Settings) -> None:
        """Applies ``settings.pools``: new pools start empty, removed pools drain, changed ones are replaced
        process by process (the next steps resize them)."""
        self.settings = settings
        for name in list(self.pools):
            if name not in settings.pools:
                pool = self.pools.pop(name)
                for worker in pool.processes.processes:
                    worker.drain("config")
                self.retired.extend(pool.processes.processes)
                self.metrics.processes.labels(name).set(0)
                logger.info(
                    "pool %s: removed from the settings; draining its %d processes",
                    name,
                    len(pool.processes.processes),
                )
        for name, spec in settings.pools.items():
            argv = worker_argv(
                self.observer.consumed_queues(spec),
                spec.threads,
                shutdown_timeout_ms=int(settings.time_limit_seconds * 1000),
            )
            env = self._child_env()
            existing = self.pools.get(name)
            if existing is None:
                self.pools[name] = Pool(PoolProcesses(name, spec, argv, env))
                continue
            changed = existing.processes.argv != argv
            existing.processes.spec, existing.processes.argv, existing.processes.env = spec, argv, env
            existing.processes.failing, existing.processes.crashes = None, 0
            if changed:
                for worker in existing.processes.active:
                    worker.drain("config")
                    existing.owed += 1

    def _child_env(self) -> dict[str, str]:
        env: dict[str, str] = {"MARKETJOBS_WORKER_METRICS_FORK": "0"}
        if self.multiprocess_dir is not None:
            env["PROMETHEUS_MULTIPROC_DIR"] = str(self.multiprocess_dir)
        return env

    # -- one step ------------------------------------------------------------------------------------

    def step(self, now: float | None = None) -> None:
        """Reaps, scales and recycles every pool once."""
        now = time.monotonic() if now is None else now
        registry = self.observer.registry(self.hostname, self.settings.worker_lost_seconds)
        self.retired = [w for w in self.retired if w.process.poll() is None]
        for name, pool in self.pools.items():
            self._reap(name, pool, now, registry)
            self._restart_owed(name, pool, now)
            load = self.observer.load(pool.processes.spec)
            decision = decide(pool.processes.spec, len(pool.processes.active), load, pool.state, now)
            self._apply(name, pool, decision, load, now, registry)
            self._recycle(name, pool, now, registry)
            self.metrics.processes.labels(name).set(len(pool.processes.active))
            self.metrics.latency.labels(name).set(load.latency_seconds)
            self.metrics.waiting.labels(name).set(load.waiting)
            self.metrics.failing.labels(name).set(1 if pool.processes.failing else 0)

    def _reap(self, name: str, pool: Pool, now: float, registry: dict[int, WorkerStatus]) -> None:
        was_failing = pool.processes.failing
        for worker, code, expected in pool.processes.reap(now):
            self._forget_metrics(registry.get(worker.pid))
            if expected:
                logger.info(
                    "pool %s: worker %d drained (%s) and exited %s", name, worker.pid, worker.draining, code
                )
                continue
            cause = "crash" if now - worker.started_at < CRASH_WINDOW_SECONDS else "exit"
            self.metrics.restarts.labels(name, cause).inc()
            logger.warning(
                "pool %s: worker %d exited unexpectedly (code %s); restarting", name, worker.pid, code
            )
            pool.owed += 1
        if pool.processes.failing and not was_failing:
            logger.error("%s", pool.processes.failing)
            pool.owed = 0

    def _forget_metrics(self, row: WorkerStatus | None) -> None:
        if row is None or self.multiprocess_dir is None:
            return
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(row.pid, str(self.multiprocess_dir))  # type: ignore[no-untyped-call]

    def _restart_owed(self, name: str, pool: Pool, now: float) -> None:
        while pool.owed > 0 and len(pool.processes.active) < pool.processes.spec.max:
            if pool.processes.start(now) is None:
                return
            pool.owed -= 1
        pool.owed = 0 if len(pool.processes.active) >= pool.processes.spec.max else pool.owed

    def _apply(
        self,
        name: str,
        pool: Pool,
        decision: Decision,
        load: PoolLoad,
        now: float,
        registry: dict[int, WorkerStatus],
    ) -> None:
        current = len(pool.processes.active)
        if decision.direction == "none" or decision.target == current:
            return
        if decision.direction == "up":
            started = 0
            for _ in range(decision.target - current):
                if pool.processes.start(now) is None:
                    break
                started += 1
            if not started:
                return
        else:

            def busy(worker: WorkerProcess) -> tuple[int, float]:  # the idlest, then the newest, go first
                row = registry.get(worker.pid)
                return (len(row.current_jobs) if row is not None else 0, -worker.started_at)

            for worker in sorted(pool.processes.active, key=busy)[: current - decision.target]:
                worker.drain("scale_down")
        self.metrics.scale_events.labels(name, decision.direction, decision.reason).inc()
        logger.info(
            "pool %s: %d -> %d processes (%s: oldest ready message waited %.1f s, %d waiting)",
            name,
            current,
            decision.target,
            decision.reason,
            load.latency_seconds,
            load.waiting,
        )

    def _recycle(self, name: str, pool: Pool, now: float, registry: dict[int, WorkerStatus]) -> None:
        spec = pool.processes.spec
        for worker in pool.processes.active:
            row = registry.get(worker.pid)
            reason = None
            if spec.max_jobs is not None and row is not None and row.jobs_processed >= spec.max_jobs:
                reason = "max_jobs"
            elif spec.max_rss_mb is not None and row is not None and row.rss_bytes > spec.max_rss_mb * MIB:
                reason = "max_rss"
            elif spec.max_age_seconds is not None and now - worker.started_at > spec.max_age_seconds:
                reason = "max_age"
            if reason is None:
                continue
            worker.drain(reason)
            self.metrics.recycles.labels(name, reason).inc()
            logger.info(
                "pool %s: recycling worker %d (%s); starting its replacement", name, worker.pid, reason
            )
            pool.processes.start(now)

    # -- lifecycle -----------------------------------------------------------------------------------

    def run(self, stop: threading.Event, reload: threading.Event) -> None:
        """Steps every ``supervisor_interval_seconds`` until ``stop`` is set, then drains everything."""
        try:
            while not stop.is_set():
                if reload.is_set():
                    reload.clear()
                    self._reload()
                self.step()
                stop.wait(self.settings.supervisor_interval_seconds)
        finally:
            self.drain_all()

    def _reload(self) -> None:
        if self.reload_settings is None:
            return
        try:
            settings = self.reload_settings()
        except Exception as exc:  # a bad edit keeps the running pools as they are
            logger.error("supervisor: settings not reloaded: %s", exc)
            return
        logger.info("supervisor: settings reloaded: pools %s", ", ".join(settings.pools))
        self.configure(settings)

    def drain_all(self, timeout: float | None = None) -> None:
        """Drains every worker and waits for them (up to the job time limit plus a margin), then kills
        what is left (its jobs are redelivered: at-least-once)."""
        timeout = self.settings.time_limit_seconds + 30 if timeout is None else timeout
        workers = [w for p in self.pools.values() for w in p.processes.processes] + self.retired
        for worker in workers:
            worker.drain("shutdown")
        deadline = time.monotonic() + timeout
        for worker in workers:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                worker.process.wait(timeout=remaining)
            except Exception:
                logger.error(
                    "supervisor: worker %d did not drain within %.0f s; killing it", worker.pid, timeout
                )
        for pool in self.pools.values():
            pool.processes.kill_all()
            pool.processes.processes.clear()
        for worker in self.retired:
            worker.signal(signal.SIGKILL)
        self.retired.clear()
        for name in self.pools:
            self.metrics.processes.labels(name).set(0)
