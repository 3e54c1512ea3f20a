"""The `dramatiq` worker processes of benchmarks/faults.py: started, replaced, killed and stopped."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["ACTORS", "Workers", "signal_group"]

ROOT = Path(__file__).resolve().parent.parent
#: The module the workers import.
ACTORS = "benchmarks.faults_actors"


class Workers:
    """`dramatiq` worker processes, each in its own process group, replaced whenever one exits."""

    def __init__(self, env: dict[str, str], threads: int, queue: str, log: Path) -> None:
        self.env, self.threads, self.queue, self.log = env, threads, queue, log
        self.processes: list[tuple[subprocess.Popen[bytes], float]] = []
        self.exits = 0

    def start(self) -> None:
        """Starts one more worker process."""
        command = [sys.executable, "-m", "dramatiq", ACTORS, "-p", "1", "-t", str(self.threads)]
        command += ["-Q", self.queue]
        with open(self.log, "ab") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append((process, time.monotonic()))

    def replace_exited(self) -> None:
        """Starts a replacement for every worker process that exited (as a supervisor would)."""
        for entry in list(self.processes):
            if entry[0].poll() is not None:
                self.processes.remove(entry)
                self.exits += 1
                self.start()

    def victim(self, rng: random.Random) -> subprocess.Popen[bytes]:
        """A random live worker, preferring ones that run for a few seconds (booted and consuming)."""
        live = [(p, t) for p, t in self.processes if p.poll() is None]
        settled = [p for p, t in live if time.monotonic() - t > 5] or [p for p, _ in live]
        return rng.choice(settled)

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """kill -9 of the worker's whole process group; a replacement starts at once."""
        signal_group(process, signal.SIGKILL)
        process.wait(30)
        self.processes = [(p, t) for p, t in self.processes if p is not process]
        self.start()

    def stop(self) -> None:
        """Stops every worker gracefully (SIGTERM to its main process, which stops its worker process; a
        second SIGTERM would make that one exit at once), SIGKILL after 30 s."""
        for process, _ in self.processes:
            signal_group(process, signal.SIGCONT)
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        try:
            for process, _ in self.processes:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    signal_group(process, signal.SIGKILL)
                    process.wait(30)
        finally:
            for process, _ in self.processes:  # nothing outlives the run, whatever went wrong
                signal_group(process, signal.SIGKILL)
            self.processes = []


def signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    """Sends ``sig`` to the worker's whole process group (its main and worker processes)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
