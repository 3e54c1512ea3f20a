"""``marketjobs scheduler`` (the leader-locked scheduler process) and ``marketjobs schedules`` (control).

``schedules list`` shows each schedule's spelling, timezone, next runs and last tick; ``enable``/``disable``
are stored in SQL and seen by the running scheduler on its next pass; ``run-now`` sends a schedule's job at
once without touching its ticks.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import uuid
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from interfaces.cli.common import store_engine
from interfaces.cli.output import console, emit_json, print_table
from marketjobs import clock
from marketjobs.config import Settings, get_settings
from marketjobs.redact import redact
from scheduler.control import (
    UPCOMING_RUNS,
    definitions_for,
    run_schedule_now,
    schedule_views,
    set_schedule_enabled,
)
from scheduler.definitions import ScheduleDefinition
from scheduler.leader import lease_from_url
from scheduler.runner import BrokerEnqueuer, Scheduler

__all__ = ["app", "run_scheduler"]

app = typer.Typer(help="List, enable, disable and run schedules.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _configured(settings: Settings) -> list[ScheduleDefinition]:
    """The schedules the actors declare (``periodic=cron(...)``), replaced by name by the config's."""
    import actors

    return list(definitions_for(settings, actors.broker).values())


def _definitions() -> dict[str, ScheduleDefinition]:
    return {d.name: d for d in _configured(get_settings())}


def run_scheduler(
    once: Annotated[bool, typer.Option("--once", help="one pass, then exit")] = False,
    tick: Annotated[float | None, typer.Option(help="seconds between passes (else the setting)")] = None,
    lease: Annotated[float | None, typer.Option(help="leader lease seconds (else the setting)")] = None,
) -> None:
    """Run the scheduler: only the leader of all running schedulers enqueues each tick, exactly once."""
    import actors

    settings = get_settings()
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    leader_lease = lease_from_url(
        settings.broker_url,
        settings.database_url,
        holder=holder,
        ttl_seconds=lease or settings.scheduler_lease_seconds,
    )
    scheduler = Scheduler(
        store_engine(),
        _configured(settings),
        BrokerEnqueuer(actors.broker),
        leader_lease,
        tick_seconds=tick or settings.scheduler_tick_seconds,
    )
    if once:
        sent = scheduler.run_once()
        console.print(f"{'leader' if scheduler.is_leader else 'follower'} {holder}: enqueued {sent}")
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.print(f"scheduler {holder} running; Ctrl-C stops it")
    scheduler.run_forever(stop)


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Every schedule with its spelling, timezone, next runs, enabled flag and last tick (--json: also its
    job's parameters, redacted)."""
    definitions = _definitions()
    items = schedule_views(store_engine(), definitions, clock.now(), upcoming=UPCOMING_RUNS)
    if as_json:
        emit_json([{**item, "kwargs": redact(item["kwargs"])} for item in items])
        return
    table = Table(title=f"{len(items)} schedules", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("name", "schedule", "tz", "actor", "enabled", "next runs (local)", "last tick", "sent"):
        table.add_column(column, overflow="fold")
    for item in items:
        zone = definitions[item["name"]].specs[0].tz if item["configured"] else UTC
        runs = [
            datetime.fromisoformat(run).astimezone(zone).strftime("%a %m-%d %H:%M")
            for run in item["next_runs"]
        ]
        table.add_row(
            item["name"],
            item["schedule"],
            item["timezone"],
            item["actor"],
            "yes" if item["enabled"] else "no",
            "\n".join(runs) or "-",
            item["last_tick_at"] or "-",
            str(item["enqueued_count"]),
        )
    print_table(table)


def _set_enabled(name: str, enabled: bool, as_json: bool) -> None:
    set_schedule_enabled(store_engine(), _definitions(), name, enabled, clock.now())
    if as_json:
        emit_json({"name": name, "enabled": enabled})
    else:
        console.print(f"schedule {name} {'enabled' if enabled else 'disabled'}")


@app.command("enable")
def enable_command(name: str, as_json: JsonOption = False) -> None:
    """Enable a schedule; it next runs at its next tick from now."""
    _set_enabled(name, True, as_json)


@app.command("disable")
def disable_command(name: str, as_json: JsonOption = False) -> None:
    """Disable a schedule: the scheduler stops enqueuing it (stored in SQL, seen on the next pass)."""
    _set_enabled(name, False, as_json)


@app.command("run-now")
def run_now_command(name: str, as_json: JsonOption = False) -> None:
    """Send a schedule's job now, outside its ticks (its next tick is unchanged)."""
    import actors

    message_id = run_schedule_now(
        store_engine(), _definitions(), name, BrokerEnqueuer(actors.broker), clock.now()
    )
    if as_json:
        emit_json({"name": name, "id": message_id})
    else:
        console.print(f"schedule {name}: enqueued job {message_id}")
