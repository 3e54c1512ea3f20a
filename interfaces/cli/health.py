"""``marketjobs health``: every health check as a table (or ``--json``); exit 0 healthy, 1 degraded,
2 unhealthy, so cron, systemd and monitoring scripts can act on it."""

from __future__ import annotations

from typing import Annotated

import dramatiq
import typer
from rich import box
from rich.table import Table

from interfaces.cli.output import emit_json, print_table
from marketjobs.config import get_settings
from marketjobs.store.engine import create_store_engine
from monitoring.health import HealthReport, HealthStatus, run_checks

__all__ = ["show_health"]

#: How each status is shown.
_STYLES = {HealthStatus.OK: "green", HealthStatus.DEGRADED: "yellow", HealthStatus.UNHEALTHY: "bold red"}


def _actors_broker() -> dramatiq.Broker:
    import actors  # declares every actor (their queues and time limits) on the settings' broker

    return actors.broker


def health_table(report: HealthReport) -> Table:
    """One row per check: its status, detail and, unless ok, the hint."""
    status = report.status
    title = f"health: [{_STYLES[status]}]{status.value}[/] (exit {report.exit_code})"
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("check", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("detail", overflow="fold")
    table.add_column("hint", overflow="fold")
    for check in report.checks:
        style = _STYLES[check.status]
        table.add_row(check.name, f"[{style}]{check.status.value}[/]", check.detail, check.hint or "")
    return table


def show_health(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Check the store, broker, workers, queues, failures, dead letters, stuck jobs, scheduler and bars.

    Exit code 0 when every check is ok, 1 when one is degraded, 2 when one is unhealthy.
    """
    settings = get_settings()
    report = run_checks(create_store_engine(settings.database_url), settings, broker=_actors_broker)
    if as_json:
        emit_json(report.as_dict())
    else:
        print_table(health_table(report))
    raise SystemExit(report.exit_code)
