"""``marketjobs queues``: depth of every queue, with delayed and dead messages."""

from __future__ import annotations

from typing import Annotated

import dramatiq
import typer
from rich.table import Table

from interfaces.cli.output import console, emit_json
from marketjobs.brokers import queue_depths
from marketjobs.jobs.broker import broker_from_url


def declare_queues(broker: dramatiq.Broker, names: list[str] | None) -> None:
    """Declares ``names`` on ``broker``, or else the queues of the product's actors."""
    if not names:
        import actors  # declares the product's queues on its broker

        # Base queue names only: a broker declares its own priority queues for each.
        names = sorted({a.queue_name for a in map(actors.broker.get_actor, actors.broker.actors)})
    for name in names:
        broker.declare_queue(name)


def show_queues(
    queue: Annotated[
        list[str] | None, typer.Option("--queue", "-q", help="queue names (default: the actors')")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Messages ready, delayed and dead per queue (priority queues shown separately)."""
    broker = broker_from_url()
    try:
        declare_queues(broker, queue)
        depths = queue_depths(broker)
    finally:
        broker.close()
    if as_json:
        emit_json(
            [{"queue": d.queue, "ready": d.ready, "delayed": d.delayed, "dead": d.dead} for d in depths]
        )
        return
    table = Table(title="queues")
    for column in ("queue", "ready", "delayed", "dead"):
        table.add_column(column, justify="left" if column == "queue" else "right")
    for d in depths:
        table.add_row(d.queue, str(d.ready), str(d.delayed), str(d.dead))
    console.print(table)
