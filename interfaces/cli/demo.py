"""``marketjobs demo`` (``make run``): the market-analysis system end to end on a laptop with no server.

1. Migrates the store (by default SQLite ``var/marketjobs.db``, which is also the SQL broker).
2. Starts two worker processes (``marketjobs worker``) on the configured broker.
3. Imports the real daily bars of the ``bokeh-sampledata`` wheel with a ``data_import`` job and builds a
   synthetic universe (seeded random walks) with ``price_update`` jobs.
4. Runs the pipeline ``price_update -> technical_analysis -> alerts`` and a ``portfolio_analysis``, with a
   progress bar per job type read from the job records.
5. Prints signals per symbol, the latest indicator snapshot, the alerts fired, the portfolio's metrics and
   jobs per second; then stops the workers (they leave no process behind).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import dramatiq
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, func, select

from interfaces.cli.demo_data import SAMPLE_TICKERS, write_sample_bars
from interfaces.cli.output import console
from interfaces.cli.processes import ChildProcesses, marketjobs_command
from marketjobs.clock import now_ms
from marketjobs.config import get_settings
from marketjobs.errors import MarketJobsError
from marketjobs.redact import redact_url
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import upgrade
from marketjobs.store.models import JobRecord

__all__ = ["DemoOptions", "run_demo"]

#: Job statuses after which a job does nothing more.
TERMINAL = frozenset({"completed", "dead", "cancelled", "skipped"})
#: Symbols per synthetic-universe price_update job.
SYMBOLS_PER_JOB = 25
#: Business days of synthetic history per symbol (about two years, ending where the real bars end).
HISTORY_BARS = 504
#: Where synthetic histories start, so that they end beside the real bars (early March 2013).
SYNTHETIC_START = "2011-03-25T00:00:00Z"
#: The demo portfolio: symbol -> shares, measured against a benchmark.
PORTFOLIO = {"AAPL": 100.0, "MSFT": 300.0, "IBM": 50.0}
BENCHMARK = "GOOG"


@dataclass
class DemoOptions:
    """What the demo runs."""

    #: Symbols of the synthetic universe (besides the real ones).
    universe: int = 300
    processes: int = 2
    threads: int = 4
    #: Where CSVs and worker logs go.
    workdir: Path = Path("var/demo")
    #: Longest the demo waits for its jobs.
    timeout_seconds: float = 900.0


@dataclass
class _Stage:
    title: str
    ids: list[str] = field(default_factory=list)
    job_types: tuple[str, ...] = ()


def run_demo(options: DemoOptions | None = None) -> None:
    """Runs the demo; see the module docstring."""
    options = options or DemoOptions()
    settings = get_settings()
    logging.getLogger("dramatiq").setLevel(logging.WARNING)
    console.rule("marketjobs demo")
    console.print(f"store {redact_url(settings.database_url)} (revision {upgrade(settings.database_url)})")
    console.print(f"broker {redact_url(settings.broker_url)}")
    import actors

    broker = actors.broker
    engine = create_store_engine(settings.database_url)
    started_ms = now_ms()
    started = time.perf_counter()
    log = options.workdir / "workers.log"
    roots = [*settings.import_roots, str(options.workdir / "bars")]  # the sample bars are an import root
    with ChildProcesses() as children:
        children.start(
            "workers",
            marketjobs_command(
                "worker", "--processes", str(options.processes), "--threads", str(options.threads)
            ),
            env={"MARKETJOBS_LOG_LEVEL": "WARNING", "MARKETJOBS_IMPORT_ROOTS": json.dumps(roots)},
            log=log,
        )
        console.print(
            f"{options.processes} worker processes x {options.threads} threads started (log: {log}); "
            f"their metrics: http://{settings.metrics_host}:{settings.metrics_port}/metrics"
        )
        _run_stage(engine, broker, children, options, _load_history(options, engine), started_ms)
        _run_stage(engine, broker, children, options, _analyse(), started_ms)
    elapsed = time.perf_counter() - started
    _report(engine, started_ms, elapsed)


def _load_history(options: DemoOptions, engine: Engine) -> list[_Stage]:
    from actors.data_import import data_import
    from actors.price_update import price_update
    from marketjobs.store.bars_io import stored_symbols

    stages = [_Stage("price history", job_types=("data_import", "price_update"))]
    paths = write_sample_bars(options.workdir / "bars")
    if paths is None:
        console.print("(bokeh-sampledata is not installed: `pip install bokeh-sampledata` adds real bars)")
    else:
        console.print(f"importing real daily bars of {', '.join(SAMPLE_TICKERS)} from {paths[0].parent}")
        stages[0].ids.append(data_import.send(path=str(paths[0].parent)).message_id)
    stored = set(stored_symbols(engine))  # a second run keeps the universe it built (and extends it below)
    symbols = [s for s in (f"SYN{i:04d}" for i in range(1, options.universe + 1)) if s not in stored]
    console.print(
        f"synthetic universe of {options.universe} symbols x {HISTORY_BARS} daily bars: "
        f"{len(symbols)} to build, {options.universe - len(symbols)} stored by an earlier run"
    )
    for chunk in _chunks(symbols, SYMBOLS_PER_JOB):
        message = price_update.send(
            symbols=chunk,
            source="synthetic",
            options={"seed": 7, "bars": HISTORY_BARS, "start": SYNTHETIC_START},
        )
        stages[0].ids.append(message.message_id)
    return stages


def _analyse() -> list[_Stage]:
    from actors.pipelines import market_pipeline
    from actors.portfolio_analysis import portfolio_analysis
    from interfaces.cli.demo_alerts import ensure_demo_rules

    ensure_demo_rules()
    pipeline = market_pipeline(source="synthetic", source_options={"seed": 11, "bars": 1})
    pipeline.run()
    console.print("pipeline sent: price_update -> technical_analysis (fanned out in chunks) -> alerts")
    portfolio = portfolio_analysis.send(
        positions=[{"symbol": s, "quantity": q} for s, q in PORTFOLIO.items()], benchmark=BENCHMARK
    )
    return [
        _Stage(
            "pipeline",
            [m.message_id for m in pipeline.messages],
            ("price_update", "technical_analysis", "technical_analysis_done", "alerts"),
        ),
        _Stage("portfolio", [portfolio.message_id], ("portfolio_analysis",)),
    ]


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _run_stage(
    engine: Engine,
    broker: dramatiq.Broker,
    children: ChildProcesses,
    options: DemoOptions,
    stages: list[_Stage],
    since_ms: int,
) -> None:
    """Shows a progress bar per stage until every job of the stages (and jobs they spawned) is done."""
    _flush_records(broker)
    deadline = time.monotonic() + options.timeout_seconds
    with Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks = {s.title: progress.add_task(s.title, total=len(s.ids), status="") for s in stages}
        while True:
            _flush_records(broker)
            done_all = True
            for stage in stages:
                records = _records(engine, stage.ids)
                finished = [r for r in records if r.status in TERMINAL]
                spawned = _active(engine, stage.job_types, since_ms)
                total = len(stage.ids) + spawned
                running = [r for r in records if r.status not in TERMINAL]
                status = running[0].progress_message if running and running[0].progress_message else ""
                progress.update(
                    tasks[stage.title],
                    total=total,
                    completed=len(finished) + sum(r.progress / 100 for r in running),
                    status=(status or "")[:60],
                )
                failed = [r for r in records if r.status == "dead"]
                if failed:
                    dead = failed[0]
                    raise MarketJobsError(
                        f"{stage.title}: job {dead.id} ({dead.job_type}) failed: {dead.error}; "
                        f"see `marketjobs jobs show {dead.id}` and {options.workdir / 'workers.log'}"
                    )
                done_all &= len(finished) == len(stage.ids) and spawned == 0
            if done_all:
                return
            if children.crashed(within_seconds=options.timeout_seconds):
                raise MarketJobsError(f"the worker processes exited; see {options.workdir / 'workers.log'}")
            if time.monotonic() > deadline:
                raise MarketJobsError(
                    f"jobs not done within {options.timeout_seconds:.0f} s; see `marketjobs jobs list` and "
                    f"{options.workdir / 'workers.log'}"
                )
            time.sleep(0.2)


def _flush_records(broker: dramatiq.Broker) -> None:
    from marketjobs.jobs.records import JobRecords

    for middleware in broker.middleware:
        if isinstance(middleware, JobRecords):
            middleware.flush()


def _records(engine: Engine, ids: list[str]) -> list[JobRecord]:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        return list(session.scalars(select(JobRecord).where(JobRecord.id.in_(ids))))


def _active(engine: Engine, job_types: tuple[str, ...], since_ms: int) -> int:
    """Jobs of ``job_types`` created since ``since_ms`` that are not done (e.g. fan-out chunks)."""
    query = (
        select(func.count())
        .select_from(JobRecord)
        .where(JobRecord.job_type.in_(job_types))
        .where(JobRecord.created_at >= since_ms)
        .where(JobRecord.status.not_in(list(TERMINAL)))
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _report(engine: Engine, since_ms: int, elapsed: float) -> None:
    from interfaces.cli.demo_report import print_jobs, print_results

    print_results(engine)
    jobs = print_jobs(engine, since_ms)
    console.print(
        f"{jobs} jobs completed in {elapsed:.1f} s ({jobs / elapsed:.1f} jobs/s on 2 worker processes); "
        "workers stopped"
    )
    console.print(
        "next: `marketjobs up` runs workers, the scheduler and the metrics exporter until Ctrl-C "
        f"(worker metrics on port {get_settings().metrics_port}, exporter on 9190); "
        "`marketjobs jobs list`, `marketjobs schedules list`; README: Redis, RabbitMQ, PostgreSQL, many hosts"
    )
