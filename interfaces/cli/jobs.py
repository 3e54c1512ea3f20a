"""``marketjobs jobs``: list, show and cancel jobs; throughput and failure ratio over a window."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich import box
from rich.pretty import Pretty
from rich.table import Table

from interfaces.cli.common import parse_age, since_ms, store_engine
from interfaces.cli.output import console, emit_json, job_dict, jobs_table, print_table
from marketjobs import clock
from marketjobs.constants import Status
from marketjobs.jobs import get_job, list_jobs, request_cancel
from marketjobs.jobs.stats import MAX_BUCKETS, Bucket, TypeStats, by_job_type, throughput

app = typer.Typer(help="List, show and cancel jobs; throughput and failures.", no_args_is_help=True)

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
        print_table(jobs_table(records, f"{len(records)} jobs"))


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
    print_table(table)
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


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _totals(types: list[TypeStats], window_ms: int) -> dict[str, Any]:
    completed, failed = sum(t.completed for t in types), sum(t.failed for t in types)
    ran = completed + failed
    return {
        "completed": completed,
        "failed": failed,
        "cancelled": sum(t.cancelled for t in types),
        "throughput_per_minute": ran * 60_000 / window_ms,
        "failure_ratio": failed / ran if ran else None,
    }


def _buckets_table(series: list[Bucket]) -> Table:
    table = Table(title=f"{len(series)} buckets, oldest first", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("from", "completed", "failed", "per min", "failure"):
        table.add_column(column, justify="left" if column == "from" else "right")
    for b in series:
        start = clock.from_ms(b.start_ms).astimezone().isoformat(timespec="seconds")
        table.add_row(
            start, str(b.completed), str(b.failed), f"{b.throughput_per_minute:.2f}", _ratio(b.failure_ratio)
        )
    return table


@app.command("stats")
def stats_command(
    window: Annotated[
        str, typer.Option("--window", "-w", help="jobs finished within, e.g. 15m, 1h, 7d")
    ] = "1h",
    buckets: Annotated[
        int, typer.Option(min=0, max=MAX_BUCKETS, help="also split the window into this many buckets")
    ] = 0,
    as_json: JsonOption = False,
) -> None:
    """Throughput and failure ratio (dead / finished) of the jobs that finished in a window, per job type."""
    window_ms = int(parse_age(window).total_seconds() * clock.MS_PER_SECOND)
    if window_ms < max(buckets, 1):
        raise typer.BadParameter(f"--window {window} is too short; use e.g. 15m, 1h or 7d")
    engine, now = store_engine(), clock.now_ms()
    types = by_job_type(engine, now_ms=now, window_ms=window_ms)
    series = throughput(engine, now_ms=now, window_ms=window_ms, buckets=buckets) if buckets else []
    totals = _totals(types, window_ms)
    if as_json:
        emit_json(
            {
                "window_seconds": window_ms / clock.MS_PER_SECOND,
                "since": clock.from_ms(now - window_ms).isoformat(),
                "until": clock.from_ms(now).isoformat(),
                **totals,
                "by_type": [t.as_dict() for t in types],
                "buckets": [b.as_dict() for b in series],
            }
        )
        return
    title = (
        f"last {window}: {totals['completed'] + totals['failed']} finished "
        f"({totals['throughput_per_minute']:.2f}/min), {totals['failed']} failed "
        f"({_ratio(totals['failure_ratio'])}), {totals['cancelled']} cancelled or skipped"
    )
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("type", "completed", "failed", "cancelled", "per min", "failure", "mean s"):
        table.add_column(column, justify="left" if column == "type" else "right")
    for t in types:
        mean = "-" if t.mean_seconds is None else f"{t.mean_seconds:.2f}"
        table.add_row(
            t.job_type, str(t.completed), str(t.failed), str(t.cancelled),
            f"{t.throughput_per_minute:.2f}", _ratio(t.failure_ratio), mean,
        )  # fmt: skip
    print_table(table)
    if series:
        print_table(_buckets_table(series))
