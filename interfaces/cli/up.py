"""``marketjobs up``: the long-lived stack on one host until Ctrl-C.

The worker supervisor (``marketjobs supervisor``: the pools of the settings, one ``dramatiq`` process per
worker, scaled with queue latency, metrics on ``metrics_port``), the leader-locked scheduler, the
broker/store exporter and the HTTP API with the operator page (``marketjobs api``), each a child in its own
process group. A child that exits after running a while is restarted; one that dies right after starting
(a bad setting, a port in use) stops ``up``, naming it.
Ctrl-C or SIGTERM stops them all (workers finish or requeue their jobs). On several hosts run
``marketjobs up`` on each (the scheduler's leader lease makes ticks fire once), or run
``marketjobs supervisor`` alone on the extra hosts.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from interfaces.cli.exporter import DEFAULT_EXPORTER_PORT
from interfaces.cli.output import console
from interfaces.cli.processes import ChildProcesses, marketjobs_command
from marketjobs.config import PoolSettings, get_settings
from marketjobs.constants import DEFAULT_DROP_FOLDER
from marketjobs.errors import MarketJobsError
from marketjobs.redact import redact_url
from marketjobs.store.migrate import upgrade

__all__ = ["run_up"]

#: How often ``up`` looks at its children.
CHECK_SECONDS = 1.0
#: Seconds beyond the job time limit that ``up`` waits for the supervisor to drain its workers.
DRAIN_MARGIN_SECONDS = 60.0


def run_up(
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            "-p",
            min=1,
            help="one fixed pool of this many processes instead of the settings' pools (-t alone: 1 process)",
        ),
    ] = None,
    threads: Annotated[int | None, typer.Option("--threads", "-t", min=1, help="threads per process")] = None,
    scheduler: Annotated[bool, typer.Option(help="run the scheduler (leader-locked)")] = True,
    exporter: Annotated[bool, typer.Option(help="run the broker/store metrics exporter")] = True,
    exporter_port: Annotated[int, typer.Option(help="port of the exporter")] = DEFAULT_EXPORTER_PORT,
    api: Annotated[bool, typer.Option(help="serve the HTTP API and operator page")] = True,
    api_port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="port of the API (default: the setting api_port)")
    ] = None,
    duration: Annotated[
        float | None, typer.Option(help="stop after this many seconds (default: run until Ctrl-C)")
    ] = None,
) -> None:
    """Run workers, the scheduler, the metrics exporter and the HTTP API until Ctrl-C."""
    settings = get_settings()
    console.print(f"job store {redact_url(settings.database_url)}: revision {upgrade(settings.database_url)}")
    if scheduler:
        Path(DEFAULT_DROP_FOLDER).mkdir(parents=True, exist_ok=True)
        console.print(
            f"price updates: drop bar files in {DEFAULT_DROP_FOLDER}/ (or give price_update an http source "
            "in the YAML config's schedules)"
        )
    pools = settings.pools
    pools_env: dict[str, str] = {}
    if processes or threads:  # one pool for every queue, of exactly that size
        pool = PoolSettings(
            min=processes or 1, max=processes or 1, threads=threads or settings.worker_threads
        )
        pools = {"default": pool}
        pools_env["MARKETJOBS_POOLS"] = json.dumps({"default": pool.model_dump()})
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _on_signal)
    # The supervisor drains its workers' jobs (up to the time limit) before it exits: wait for it.
    with ChildProcesses(grace_seconds=settings.time_limit_seconds + DRAIN_MARGIN_SECONDS) as children:
        children.start("supervisor", marketjobs_command("supervisor"), env=pools_env)
        sizes = ", ".join(f"{name} {p.min}-{p.max}x{p.threads}" for name, p in pools.items())
        console.print(
            f"workers: pools {sizes} (processes x threads) on {redact_url(settings.broker_url)}; "
            f"metrics http://{settings.metrics_host}:{settings.metrics_port}/metrics"
        )
        if scheduler:
            children.start("scheduler", marketjobs_command("scheduler"))
            console.print("scheduler: started (one leader per deployment; see `marketjobs schedules list`)")
        if exporter:
            children.start("exporter", marketjobs_command("exporter", "--port", str(exporter_port)))
            console.print(f"exporter: http://{settings.metrics_host}:{exporter_port}/metrics")
        if api:
            port = api_port or settings.api_port
            children.start("api", marketjobs_command("api", "--port", str(port)))
            console.print(f"api: http://{settings.api_host}:{port}/ (operator page; OpenAPI docs at /docs)")
        console.print("press Ctrl-C to stop")
        deadline = None if duration is None else time.monotonic() + duration
        failed: list[str] = []
        try:
            while not stop.wait(CHECK_SECONDS):
                for child in children.crashed():
                    code = child.process.returncode if child.process else "?"
                    failed.append(f"{child.name} exited with code {code} right after starting")
                    stop.set()
                for child, code in children.restart_dead():
                    console.print(f"[yellow]{child.name} exited ({code}); restarted[/yellow]")
                if deadline is not None and time.monotonic() >= deadline:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            console.print("stopping: workers finish or requeue their jobs ...")
            signal.signal(signal.SIGTERM, previous)
    console.print("stopped")
    if failed:
        raise MarketJobsError(
            f"{'; '.join(failed)}: see its output above, fix it and run `marketjobs up` again"
        )
