"""``marketjobs workers``: the worker registry: every worker process, its pool, heartbeat, jobs and memory."""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table

from interfaces.cli.output import emit_json, print_table
from marketjobs import clock
from marketjobs.config import get_settings
from marketjobs.store.engine import create_store_engine
from marketjobs.store.workers import list_workers

__all__ = ["show_workers"]

#: Columns of the table.
COLUMNS = (
    "pool", "host", "pid", "state", "queues", "threads",
    "jobs", "failed", "running", "RSS MiB", "heartbeat", "up",
)  # fmt: skip
#: Bytes in a MiB (RSS column).
MIB = 1024 * 1024


def show_workers(
    include_stopped: Annotated[bool, typer.Option("--all", help="also workers that stopped")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List worker processes from their heartbeats; one silent too long is shown as lost."""
    settings = get_settings()
    now = clock.now_ms()
    workers = list_workers(
        create_store_engine(settings.database_url),
        now_ms=now,
        lost_after_ms=int(settings.worker_lost_seconds * 1000),
        states=None if include_stopped else ("running", "draining", "lost"),
    )
    if as_json:
        emit_json([w.as_dict() for w in workers])
        return
    table = Table(title=f"{len(workers)} workers", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in COLUMNS:
        table.add_column(column, no_wrap=column != "queues")
    for w in workers:
        table.add_row(
            w.pool or "-",
            w.hostname,
            str(w.pid),
            w.state if w.state != "lost" else "[red]lost[/red]",
            ",".join(w.queues) or "all",
            str(w.threads),
            str(w.jobs_processed),
            str(w.jobs_failed),
            str(len(w.current_jobs)),
            f"{w.rss_bytes / MIB:.0f}",
            f"{(now - w.heartbeat_at) / 1000:.0f} s ago",
            f"{(w.heartbeat_at - w.started_at) / 1000:.0f} s",
        )
    print_table(table)
