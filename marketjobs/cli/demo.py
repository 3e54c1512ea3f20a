"""``marketjobs demo``: what works today, end to end on a laptop with no server.

Migrates the SQLite job store, runs diagnostic jobs through the configured broker (by default the SQL
broker on the same SQLite file) and an in-process worker (successes, progress, a cancel, retries into a
dead letter), prints the job records, and computes a TA-Lib-exact SMA with the Rust plugin on real daily
bars when the sample data is installed.
"""

from __future__ import annotations

import logging
import time

import dramatiq
import polars as pl
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from marketjobs.cli.output import console, jobs_table
from marketjobs.config import configure, get_settings
from marketjobs.jobs import count_by_status, get_job, list_jobs, request_cancel
from marketjobs.jobs.records import JobRecords
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import upgrade

#: No-op jobs pushed through to show the machinery's throughput.
NOOP_JOBS = 2000


def run_demo() -> None:
    """Runs the demo; see the module docstring."""
    settings = get_settings().model_copy(update={"records_flush_seconds": 0.05})
    configure(settings)
    logging.getLogger("dramatiq").setLevel(logging.CRITICAL)  # the failing job's tracebacks are expected
    console.rule("marketjobs demo")
    console.print(f"job store: {settings.database_url} (revision {upgrade(settings.database_url)})")
    console.print(f"broker: {settings.broker_url}")
    import actors
    from actors import diagnostics

    broker = actors.broker
    records = next(m for m in broker.middleware if isinstance(m, JobRecords))
    engine = create_store_engine(settings.database_url)
    worker = dramatiq.Worker(broker, worker_threads=4, worker_timeout=50)
    worker.start()
    try:
        started = time.perf_counter()
        for _ in range(NOOP_JOBS):
            diagnostics.noop.send()
        for name in broker.get_declared_queues():
            if name.startswith("diagnostics"):  # per-priority queues on Redis
                broker.join(name)
        records.flush()
        rate = NOOP_JOBS / (time.perf_counter() - started)
        console.print(f"{NOOP_JOBS} no-op jobs through broker, worker and SQL records: {rate:,.0f} jobs/s")
        _progress_and_cancel(diagnostics, records, engine)
        failing = diagnostics.fail.send("demo: upstream provider down")
        console.print("a failing job retries with backoff, then lands in dead letters ...")
        records.flush()
        while get_job(engine, failing.message_id).status != "dead":
            time.sleep(0.1)
            records.flush()
        console.print(f"dead letter {failing.message_id}: {get_job(engine, failing.message_id).error}")
    finally:
        worker.stop()
        records.flush()
    console.print(jobs_table(list_jobs(engine, limit=8), "latest job records"))
    counts = Table(title="jobs by status")
    counts.add_column("status")
    counts.add_column("count", justify="right")
    for status, count in sorted(count_by_status(engine).items()):
        counts.add_row(status, str(count))
    console.print(counts)
    _indicator_demo()
    console.print(
        "next: `marketjobs jobs list`, `marketjobs dlq list`, `marketjobs jobs show <id>`; "
        "run workers with `dramatiq actors` against Redis or RabbitMQ (see README)"
    )


def _progress_and_cancel(diagnostics: object, records: JobRecords, engine: object) -> None:
    sleep = diagnostics.sleep  # type: ignore[attr-defined]
    jobs = [sleep.send(seconds=1.5, steps=15) for _ in range(3)]
    doomed = sleep.send(seconds=30, steps=300)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks = {
            m.message_id: progress.add_task(f"job {m.message_id[:8]}", total=100, status="") for m in jobs
        }
        tasks[doomed.message_id] = progress.add_task(f"job {doomed.message_id[:8]}", total=100, status="")
        cancel_sent = False
        while True:
            records.flush()
            done = 0
            for job_id, task in tasks.items():
                record = get_job(engine, job_id)  # type: ignore[arg-type]
                progress.update(task, completed=record.progress, status=record.status)
                done += record.status in ("completed", "cancelled")
                if job_id == doomed.message_id and record.progress >= 2 and not cancel_sent:
                    request_cancel(engine, job_id)  # type: ignore[arg-type]
                    cancel_sent = True
            if done == len(tasks):
                break
            time.sleep(0.1)


def _indicator_demo() -> None:
    try:
        from bokeh_sampledata.stocks import AAPL
    except ImportError:
        console.print("(install the dev extras for the indicator demo on real AAPL bars)")
        return
    import indicators_rs as ta

    bars = pl.DataFrame({"date": AAPL["date"], "close": AAPL["adj_close"]})
    out = bars.with_columns(ta.sma("close", timeperiod=20).alias("sma_20")).tail(5)
    console.print("AAPL daily closes with a TA-Lib-exact 20-day SMA from the Rust plugin:")
    console.print(out)
