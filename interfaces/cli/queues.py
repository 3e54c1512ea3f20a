"""``marketjobs queues``: messages ready, delayed and dead per queue, latency and pauses; ``queues purge``.

One row per queue (its priority queues folded in); empty queues are left out unless ``--all`` (``--json``
always lists every queue). ``dead`` counts dead jobs, the ones ``marketjobs dlq list`` shows; brokers also
keep their own dead-letter copies until they expire (retried and purged jobs included), reported beside it
when the two differ (``broker_dead`` in ``--json``).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import dramatiq
import typer
from rich import box
from rich.table import Table

from interfaces.cli.common import store_engine
from interfaces.cli.output import console, emit_json, error_console, print_table
from marketjobs.errors import ParameterError
from marketjobs.jobs.broker import broker_from_url
from marketjobs.jobs.queries import dead_by_queue
from marketjobs.jobs.queues import QueueStatus, purge_queue, queue_depth, queue_statuses, user_queues

__all__ = ["app", "declare_queues"]

app = typer.Typer(
    help="Messages per queue (ready, delayed, dead, latency, paused); purge a queue.",
    invoke_without_command=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def declare_queues(broker: dramatiq.Broker, names: list[str] | None) -> None:
    """Declares ``names`` on ``broker``, or else the queues of the product's actors."""
    if not names:
        import actors  # declares the product's queues on its broker

        # Base queue names only: a broker declares its own priority queues for each.
        names = sorted({a.queue_name for a in map(actors.broker.get_actor, actors.broker.actors)})
    for name in names:
        broker.declare_queue(name)


def _row(status: QueueStatus, dead: int) -> dict[str, Any]:
    return {**status.as_dict(), "dead": dead, "broker_dead": status.dead}


def _latency(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    if seconds < 120:
        return f"{seconds:.0f}s"
    return f"{seconds / 60:.0f}m" if seconds < 7200 else f"{seconds / 3600:.0f}h"


def _show(rows: list[dict[str, Any]], show_all: bool) -> None:
    shown = [r for r in rows if show_all or r["ready"] or r["delayed"] or r["dead"] or r["paused"]]
    table = Table(title=f"{len(shown)} queues", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("queue", "ready", "delayed", "dead", "latency", "paused"):
        table.add_column(column, justify="left" if column in ("queue", "paused") else "right")
    for r in shown:
        paused = f"by {r['paused_by']}" if r["paused"] else ""
        latency = _latency(r["latency_seconds"]) if r["ready"] else "-"
        table.add_row(r["queue"], str(r["ready"]), str(r["delayed"]), str(r["dead"]), latency, paused)
    if shown:
        print_table(table)
    hidden = len(rows) - len(shown)
    if hidden:
        error_console.print(f"{hidden} empty queues not shown (--all lists them)")
    copies = sum(r["broker_dead"] for r in rows)
    if copies != sum(r["dead"] for r in rows):
        error_console.print(
            f"dead: dead jobs, as `marketjobs dlq list` shows them; the broker also keeps {copies} "
            "dead-letter copies (retried and purged jobs included) until dead_letter_retention_days ends"
        )


@app.callback()
def show_queues(
    context: typer.Context,
    queue: Annotated[
        list[str] | None, typer.Option("--queue", "-q", help="queue names (default: the actors')")
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", "-a", help="also list empty queues")] = False,
    as_json: JsonOption = False,
) -> None:
    """Messages ready, delayed and dead per queue, the oldest ready message's wait, and pauses."""
    if context.invoked_subcommand is not None:
        return
    engine = store_engine()
    broker = broker_from_url()
    try:
        declare_queues(broker, queue)
        statuses = queue_statuses(broker, engine, queue or None)
    finally:
        broker.close()
    dead = dead_by_queue(engine)
    rows = [_row(status, dead.get(status.queue, 0)) for status in statuses]
    if as_json:
        emit_json(rows)
    else:
        _show(rows, show_all)


@app.command("purge")
def purge_command(
    queue: Annotated[str, typer.Argument(help="the queue, e.g. price_update (every priority of it)")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
    as_json: JsonOption = False,
) -> None:
    """Drop every message waiting in QUEUE; their jobs end as cancelled, running jobs finish."""
    engine = store_engine()
    broker = broker_from_url()
    try:
        declare_queues(broker, None)
        if queue not in user_queues(broker):
            raise ParameterError(f"no queue {queue!r}; queues: {', '.join(user_queues(broker))}")
        if not yes:
            if not sys.stdin.isatty():
                raise ParameterError(f"purging {queue} drops its messages for good; add --yes to confirm")
            depth = queue_depth(broker, queue)
            waiting = depth.ready + depth.delayed
            typer.confirm(f"Drop the {waiting} messages waiting in queue {queue} for good?", abort=True)
        purged = purge_queue(broker, engine, queue)
    finally:
        broker.close()
    if as_json:
        emit_json(purged.as_dict())
    else:
        dropped, cancelled = purged.messages, purged.jobs_cancelled
        console.print(f"purged queue {queue}: {dropped} messages dropped, {cancelled} jobs cancelled")
