"""``marketjobs dlq``: dead letters, listed, retried and purged."""

from __future__ import annotations

from typing import Annotated

import typer

from interfaces.cli.common import parse_age, store_engine
from interfaces.cli.output import console, emit_json, job_dict, jobs_table, print_table
from marketjobs.errors import MarketJobsError
from marketjobs.jobs import list_dead_letters, purge_dead_letters, retry_dead_letter
from marketjobs.jobs.broker import broker_from_url

app = typer.Typer(help="Dead letters: list, retry, purge.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


@app.command("list")
def list_command(
    job_type: Annotated[str | None, typer.Option("--type", "-t")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100_000)] = 100,
    as_json: JsonOption = False,
) -> None:
    """Dead jobs newest first, with their last error."""
    records = list_dead_letters(store_engine(), job_type=job_type, limit=limit)
    if as_json:
        emit_json([job_dict(r) for r in records])
    else:
        print_table(jobs_table(records, f"{len(records)} dead letters"))


@app.command("retry")
def retry_command(
    job_ids: Annotated[list[str] | None, typer.Argument(help="dead job ids")] = None,
    retry_all: Annotated[bool, typer.Option("--all", help="retry every dead letter not yet retried")] = False,
    as_json: JsonOption = False,
) -> None:
    """Re-enqueue dead jobs with the same parameters as new jobs linked to the originals."""
    engine = store_engine()
    if retry_all:
        job_ids = [r.id for r in list_dead_letters(engine, limit=100_000) if not r.retried_as]
    if not job_ids:
        raise MarketJobsError("name dead job ids to retry, or pass --all")
    broker = broker_from_url()
    try:
        new_ids = {job_id: retry_dead_letter(engine, broker, job_id) for job_id in job_ids}
    finally:
        broker.close()
    if as_json:
        emit_json({"retried": new_ids})
        return
    for old, new in new_ids.items():
        console.print(f"dead letter {old} retried as job {new}")


@app.command("purge")
def purge_command(
    older_than: Annotated[
        str | None, typer.Option("--older-than", help="only those dead for longer, e.g. 7d")
    ] = None,
    job_type: Annotated[list[str] | None, typer.Option("--type", "-t")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete dead-letter records."""
    if not yes and not as_json:
        typer.confirm("Delete these dead letters for good?", abort=True)
    age = parse_age(older_than) if older_than else None
    removed = purge_dead_letters(store_engine(), older_than=age, job_types=job_type)
    if as_json:
        emit_json({"purged": removed})
    else:
        console.print(f"purged {removed} dead letters")
