"""``marketjobs exporter``: one process per deployment serving queue depths and job-record aggregates."""

from __future__ import annotations

import threading
from typing import Annotated

import typer
from prometheus_client import generate_latest, start_http_server

from interfaces.cli.common import port_in_use
from interfaces.cli.output import console
from interfaces.cli.queues import declare_queues
from marketjobs.brokers import queue_depths
from marketjobs.config import get_settings
from marketjobs.jobs.broker import broker_from_url
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import require_current
from monitoring.exporter import StoreCollector, registry_for
from monitoring.health import run_checks
from monitoring.health.metrics import HealthCollector

__all__ = ["DEFAULT_EXPORTER_PORT", "run_exporter"]

#: Port of ``marketjobs exporter`` (workers use ``metrics_port``).
DEFAULT_EXPORTER_PORT = 9190


def run_exporter(
    host: Annotated[
        str | None, typer.Option(help="address to bind (default: settings' metrics_host)")
    ] = None,
    port: Annotated[
        int, typer.Option(min=1, max=65535, help="port to serve /metrics on")
    ] = DEFAULT_EXPORTER_PORT,
    queue: Annotated[
        list[str] | None, typer.Option("--queue", "-q", help="queue names (default: the actors')")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="print one scrape and exit")] = False,
) -> None:
    """Serve broker- and store-level metrics (queue depth, job records, dead letters) for Prometheus."""
    settings = get_settings()
    engine = create_store_engine(settings.database_url)
    require_current(engine)
    broker = broker_from_url()
    declare_queues(broker, queue)
    collector = StoreCollector(engine, lambda: queue_depths(broker))
    registry = registry_for(collector)
    # marketjobs_health_check{check}: the `marketjobs health` checks, run at most every few seconds.
    registry.register(
        HealthCollector(
            lambda: run_checks(engine, settings, broker=broker, time_limits=collector.time_limits)
        )
    )
    if once:
        console.out(generate_latest(registry).decode(), end="")
        return
    bind = host or settings.metrics_host
    try:
        server, thread = start_http_server(port, addr=bind, registry=registry)
    except OSError as exc:
        raise port_in_use(exc, bind, port, "--port") from None
    console.print(f"serving metrics on http://{bind}:{server.server_port}/metrics")
    try:
        threading.Event().wait()
    finally:
        server.shutdown()
        thread.join(5)
