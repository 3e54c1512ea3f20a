"""Child processes of ``marketjobs up`` and ``marketjobs demo``: started in their own process groups and
stopped as a whole (SIGTERM, then SIGKILL after a grace period), so no worker outlives its parent command.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

__all__ = ["Child", "ChildProcesses", "marketjobs_command"]

#: Seconds a child gets to finish its jobs after SIGTERM before it is killed.
DEFAULT_GRACE_SECONDS = 30.0


def marketjobs_command(*args: str) -> list[str]:
    """``marketjobs ARGS`` run by this interpreter (works from a venv that is not on PATH)."""
    return [sys.executable, "-m", "marketjobs", *args]


@dataclass
class Child:
    """One supervised command."""

    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    log: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0

    @property
    def running(self) -> bool:
        """True while the process lives."""
        return self.process is not None and self.process.poll() is None


@dataclass
class ChildProcesses:
    """Starts commands in new sessions (process groups) and stops every group on exit."""

    grace_seconds: float = DEFAULT_GRACE_SECONDS
    children: list[Child] = field(default_factory=list)

    def start(
        self, name: str, argv: Sequence[str], *, env: Mapping[str, str] | None = None, log: Path | None = None
    ) -> Child:
        """Starts ``argv`` as child ``name``; its output goes to ``log`` (else this process' streams)."""
        child = Child(name, list(argv), dict(env) if env is not None else None, log)
        self._spawn(child)
        self.children.append(child)
        return child

    def _spawn(self, child: Child) -> None:
        environment = {**os.environ, **(child.env or {})}
        if child.log is not None:
            child.log.parent.mkdir(parents=True, exist_ok=True)
            with child.log.open("ab") as out:
                child.process = subprocess.Popen(
                    child.argv, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
        else:
            child.process = subprocess.Popen(child.argv, env=environment, start_new_session=True)
        child.started_at = time.monotonic()

    def restart_dead(self, *, min_uptime_seconds: float = 10.0) -> list[tuple[Child, int]]:
        """Restarts children that exited; returns (child, exit code) for each. A child that dies within
        ``min_uptime_seconds`` of its start is left down (a crash loop needs a person, not a restart)."""
        restarted: list[tuple[Child, int]] = []
        for child in self.children:
            if child.process is None or child.process.poll() is None:
                continue
            code = child.process.returncode
            if time.monotonic() - child.started_at < min_uptime_seconds:
                continue
            self._spawn(child)
            child.restarts += 1
            restarted.append((child, code))
        return restarted

    def crashed(self, *, within_seconds: float = 10.0) -> list[Child]:
        """Children that exited within ``within_seconds`` of their start (they will not be restarted)."""
        return [
            c
            for c in self.children
            if c.process is not None
            and c.process.poll() is not None
            and c.process.returncode != 0
            and time.monotonic() - c.started_at < within_seconds
        ]

    def stop(self) -> None:
        """SIGTERM to every child's process group, SIGKILL to those still alive after the grace period."""
        for child in self.children:
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        for child in self.children:
            if child.process is None:
                continue
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        for child in self.children:
            _signal_group(child, signal.SIGKILL)  # also reaps grandchildren left by a child that exited
            if child.process is not None:
                child.process.wait()

    def __enter__(self) -> ChildProcesses:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _signal_group(child: Child, signum: signal.Signals) -> None:
    if child.process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.process.pid, signum)  # the child leads its own session: pgid == pid
