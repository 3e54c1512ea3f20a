"""``marketjobs jobs``: list, show and cancel jobs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.pretty import Pretty
from rich.table import Table

from interfaces.cli.common import since_ms, store_engine
from interfaces.cli.output import console, emit_json, job_dict, jobs_table
from marketjobs.constants import Status
from marketjobs.jobs import get_job, list_jobs, request_cancel

app = typer.Typer(help="List, show and cancel jobs.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


@app.command("list")
def list_command(
    status: Annotated[list[Status] | None, typer.Option("--status", "-s", help="repeat for several")] = None,
    job_type: Annotated[str | None, typer.Option("--type", "-t", help="job type (actor name)")] = None,
    newer_than: Annotated[
        str | None, typer.Option("--since", help="created within, e.g. 15m, 2h, 7d")
    ] = None,
    older_than: Annotated[
        str | None, typer.Option("--until", help="created before this age, e.g. 1h")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100_000)] = 50,
    as_json: JsonOption = False,
) -> None:
    """Jobs newest first, filtered by status, type and creation time."""
    records = list_jobs(
        store_engine(),
        status=status or None,
        job_type=job_type,
        since_ms=since_ms(newer_than),
        until_ms=since_ms(older_than),
        limit=limit,
    )
    if as_json:
        emit_json([job_dict(r) for r in records])
    else:
        console.print(jobs_table(records, f"{len(records)} jobs"))


@app.command("show")
def show_command(job_id: str, as_json: JsonOption = False) -> None:
    """Every field of one job, including its error and traceback."""
    record = job_dict(get_job(store_engine(), job_id))
    if as_json:
        emit_json(record)
        return
    table = Table(show_header=False, title=f"job {job_id}")
    for key, value in record.items():
        if key != "traceback":
            table.add_row(key, Pretty(value) if isinstance(value, dict | list) else str(value))
    console.print(table)
    if record["traceback"]:
        console.print(record["traceback"], highlight=False)


@app.command("cancel")
def cancel_command(job_ids: list[str], as_json: JsonOption = False) -> None:
    """Cancel jobs: pending ones are skipped, running ones stop at their next check."""
    engine = store_engine()
    results = {job_id: request_cancel(engine, job_id).value for job_id in job_ids}
    if as_json:
        emit_json({"cancel_requested": results})
        return
    for job_id, status in results.items():
        console.print(f"cancel requested for {job_id} (was {status})")
