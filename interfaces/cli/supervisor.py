"""``marketjobs supervisor``: the worker pools of the settings, each scaled with its queues' latency.

One ``dramatiq`` process per worker (so one crash never stops the others), pools from ``pools:`` in the
settings, metrics of the supervisor and all its workers on ``metrics_port``. SIGTERM (or Ctrl-C) drains
every worker and exits 0; SIGHUP reloads the pools from the settings without dropping work.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from interfaces.cli.common import port_in_use
from interfaces.cli.output import console
from interfaces.cli.preflight import wait_for_services
from marketjobs.config import get_settings, load_settings
from marketjobs.store.migrate import upgrade
from monitoring.worker import MULTIPROC_ENV, prepare_multiprocess_dir

__all__ = ["run_supervisor"]


def run_supervisor(
    duration: Annotated[
        float | None, typer.Option(help="stop after this many seconds (default: until SIGTERM or Ctrl-C)")
    ] = None,
) -> None:
    """Run the worker pools from the settings, scaling each with its queues, until SIGTERM."""
    settings = get_settings()
    wait_for_services(settings)  # a broker or store that is down: one line per back-off step, then start
    upgrade(settings.database_url)
    # The workers share one multiprocess directory that this process serves; this process' own metrics
    # stay in memory, so the variable is for the children only.
    directory = prepare_multiprocess_dir(settings)
    os.environ.pop(MULTIPROC_ENV, None)

    from actors import broker  # declares every actor, so the pools know every queue
    from supervisor.metrics import SupervisorMetrics
    from supervisor.runner import Supervisor

    metrics = SupervisorMetrics()
    try:
        metrics.serve(settings.metrics_host, settings.metrics_port, directory)
    except OSError as exc:
        raise port_in_use(
            exc, settings.metrics_host, settings.metrics_port, "MARKETJOBS_METRICS_PORT"
        ) from None
    supervisor = Supervisor(
        broker, settings, metrics=metrics, multiprocess_dir=directory, reload_settings=load_settings
    )
    stop, reload = threading.Event(), threading.Event()

    def _on_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    def _on_reload(signum: int, frame: FrameType | None) -> None:
        reload.set()

    signal.signal(signal.SIGTERM, _on_stop)
    signal.signal(signal.SIGINT, _on_stop)
    signal.signal(signal.SIGHUP, _on_reload)
    if duration is not None:
        threading.Timer(duration, stop.set).start()
    for name, spec in settings.pools.items():
        queues = ", ".join(spec.queues) or "every queue"
        console.print(f"pool {name}: {queues}; {spec.min}-{spec.max} processes x {spec.threads} threads")
    console.print(f"metrics http://{settings.metrics_host}:{settings.metrics_port}/metrics")
    supervisor.run(stop, reload)
    console.print("supervisor: every worker drained; stopped")
