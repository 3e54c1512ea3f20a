"""``marketjobs worker``: ``dramatiq actors`` with the processes, threads and queues from settings."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from interfaces.cli.common import require_free_port
from interfaces.cli.preflight import wait_for_services
from marketjobs.config import get_settings
from monitoring.worker import prepare_multiprocess_dir


def run_worker(
    processes: Annotated[
        int | None, typer.Option("--processes", "-p", min=1, max=256, help="from settings")
    ] = None,
    threads: Annotated[
        int | None, typer.Option("--threads", "-t", min=1, max=256, help="from settings")
    ] = None,
    queues: Annotated[list[str] | None, typer.Option("--queue", "-Q", help="only these queues")] = None,
) -> None:
    """Run worker processes for the actors package (replaces this process with `dramatiq actors`)."""
    settings = get_settings()
    argv = [
        sys.executable,
        "-m",
        "dramatiq",
        "actors",
        "--processes",
        str(processes or settings.worker_processes),
        "--threads",
        str(threads or settings.worker_threads),
    ]
    if queues:
        argv += ["--queues", *queues]
    # Worker metrics: a fresh multiprocess directory per metrics port, served by a dramatiq fork process.
    require_free_port(settings.metrics_host, settings.metrics_port, "MARKETJOBS_METRICS_PORT")
    wait_for_services(settings)  # a broker or store that is down: one line per back-off step, then start
    prepare_multiprocess_dir(settings)
    os.execv(sys.executable, argv)
