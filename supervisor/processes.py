"""The worker processes of one pool: start, drain, restart with back-off, and report crash loops.

Each worker is ``dramatiq actors --processes 1`` in its own process group, so one dying never stops the
others. Draining is Dramatiq's own graceful stop (SIGTERM): the process stops consuming, gives back its
prefetched messages and finishes the jobs it runs, so a recycle or a scale-down loses nothing. A process
that exits without being asked is restarted; one that keeps dying within ``CRASH_WINDOW_SECONDS`` of its
start is restarted after a doubling back-off, and after ``MAX_CRASHES`` such deaths in a row the pool is
reported failing and left alone until the settings are reloaded (SIGHUP) or the supervisor restarts.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from marketjobs.config import PoolSettings
from marketjobs.jobs.registry import POOL_ENV, QUEUES_ENV

__all__ = ["CRASH_WINDOW_SECONDS", "MAX_CRASHES", "PoolProcesses", "WorkerProcess", "worker_argv"]

#: A process that exits this soon after its start crashed (a restart would likely crash again).
CRASH_WINDOW_SECONDS = 10.0
#: Quick crashes in a row after which a pool is reported failing and no longer restarted.
MAX_CRASHES = 5
#: First restart back-off after a quick crash, in seconds; doubles per crash in a row.
FIRST_BACKOFF_SECONDS = 1.0
#: Longest restart back-off, in seconds.
MAX_BACKOFF_SECONDS = 60.0


def worker_argv(queues: Sequence[str], threads: int, *, shutdown_timeout_ms: int) -> list[str]:
    """The command of one worker process consuming ``queues`` (empty: every queue) with ``threads``."""
    argv = [sys.executable, "-m", "dramatiq", "actors", "--processes", "1", "--threads", str(threads)]
    argv += ["--worker-shutdown-timeout", str(shutdown_timeout_ms)]
    if queues:
        argv += ["--queues", *queues]
    return argv


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it (a drain) when the supervisor dies, even by kill -9, so no
    worker outlives its supervisor unwatched (Linux prctl PR_SET_PDEATHSIG; elsewhere a no-op)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


#: prctl option: the signal a process gets when its parent dies.
PR_SET_PDEATHSIG = 1


@dataclass
class WorkerProcess:
    """One worker process of a pool (the ``dramatiq`` main process; its worker is its only child)."""

    process: subprocess.Popen[bytes]
    started_at: float
    #: Why it is draining ("scale_down", "max_jobs", "max_rss", "max_age", "config", "shutdown"); None: not.
    draining: str | None = None

    @property
    def pid(self) -> int:
        """The ``dramatiq`` main process' pid (the registry's ``parent_pid`` of its worker)."""
        return self.process.pid

    def drain(self, reason: str) -> None:
        """Asks the process to stop taking work and exit once its jobs are done."""
        if self.draining is None:
            self.draining = reason
            # To the main process only: it forwards one SIGTERM to its worker. A second one (as a signal
            # to the whole group would deliver) makes Dramatiq's worker kill itself instead of draining.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.process.pid, signal.SIGTERM)

    def signal(self, signum: signal.Signals) -> None:
        """Sends ``signum`` to the process group (the main process and its worker)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)


@dataclass
class PoolProcesses:
    """The live processes of one pool and its crash bookkeeping."""

    name: str
    spec: PoolSettings
    argv: list[str]
    env: dict[str, str]
    processes: list[WorkerProcess] = field(default_factory=list)
    #: Quick crashes in a row (reset by a process that outlives CRASH_WINDOW_SECONDS).
    crashes: int = 0
    #: No start before this monotonic time (restart back-off).
    hold_until: float = 0.0
    #: Set once the pool crashed MAX_CRASHES times in a row: nothing is started any more.
    failing: str | None = None

    @property
    def active(self) -> list[WorkerProcess]:
        """Processes taking work (not draining)."""
        return [p for p in self.processes if p.draining is None]

    def start(self, now: float) -> WorkerProcess | None:
        """Starts one process unless the pool is failing or backing off; returns it."""
        if self.failing is not None or now < self.hold_until:
            return None
        environment = {**os.environ, **self.env, POOL_ENV: self.name, QUEUES_ENV: ",".join(self.spec.queues)}
        process = subprocess.Popen(
            self.argv, env=environment, start_new_session=True, preexec_fn=_die_with_parent
        )
        worker = WorkerProcess(process, now)
        self.processes.append(worker)
        return worker

    def reap(self, now: float) -> list[tuple[WorkerProcess, int, bool]]:
        """Removes processes that exited; returns (process, exit code, expected) for each. An unexpected
        exit within CRASH_WINDOW_SECONDS of the start counts as a crash and sets the back-off."""
        exited: list[tuple[WorkerProcess, int, bool]] = []
        for worker in list(self.processes):
            code = worker.process.poll()
            if code is None:
                if worker.draining is None and now - worker.started_at > CRASH_WINDOW_SECONDS:
                    self.crashes = 0
                continue
            self.processes.remove(worker)
            expected = worker.draining is not None
            if not expected and now - worker.started_at < CRASH_WINDOW_SECONDS:
                self.crashes += 1
                backoff = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2 ** (self.crashes - 1))
                self.hold_until = now + backoff
                if self.crashes >= MAX_CRASHES:
                    self.failing = (
                        f"pool {self.name!r}: {self.crashes} worker processes in a row exited within "
                        f"{CRASH_WINDOW_SECONDS:.0f} s of starting (last exit code {code}); not restarting. "
                        "Run `dramatiq actors` by hand to see why, fix it, then reload with SIGHUP"
                    )
            exited.append((worker, code, expected))
        return exited

    def kill_all(self) -> None:
        """SIGKILL to every process group of the pool (after a drain timed out)."""
        for worker in self.processes:
            worker.signal(signal.SIGKILL)
        for worker in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(timeout=5)
