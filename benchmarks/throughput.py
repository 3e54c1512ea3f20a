"""No-op jobs per second: bare Dramatiq vs marketjobs with job records (SQLite, PostgreSQL), Redis broker.

Runs everything in one go on this machine. For each mode it enqueues N no-op jobs from this process (the
enqueue rate), then starts 2 worker processes (`dramatiq -p 2 -t 8`) on the full queue and times the drain
once both are consuming, until the queue is empty and, with records, every record says completed (jobs/s).
Prints a table, then the ratios last. Needs Redis; the PostgreSQL modes run in a database of their own on
the server at BENCH_POSTGRES_URL (benchmarks/services.py) and are skipped when it is down.

    .venv/bin/python benchmarks/throughput.py [--jobs 10000 --rounds 3 --json var/bench/throughput.json]
    .venv/bin/python benchmarks/throughput.py --smoke      # 400 jobs, one round: seconds; CI runs this
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.services import POSTGRES_SERVER, REDIS_URL, private_database, redis_up  # noqa: E402
from benchmarks.summary import Metrics, add_json_argument, metric_name, write  # noqa: E402

#: Jobs the workers take before timing starts (both processes booted and consuming); at most half the jobs.
WARMUP_JOBS = 500
#: The stores of the modes, as the ratios name them.
STORES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


@dataclass
class Result:
    mode: str
    enqueue_per_s: float
    jobs_per_s: float


def _reset_postgres(url: str) -> None:
    """Drops every table of the database, whatever references what (CASCADE: the alert and portfolio tables
    reference others, so a drop in metadata order without it fails), including those the migrations make
    that no model describes (the text-search table)."""
    from sqlalchemy import inspect, text

    from marketjobs.store.engine import create_store_engine

    engine = create_store_engine(url)
    with engine.begin() as connection:
        for table in inspect(connection).get_table_names():
            connection.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))


def _completed(database_url: str) -> int:
    from sqlalchemy import func, select

    from marketjobs.store.engine import create_store_engine
    from marketjobs.store.models import JobRecord

    with create_store_engine(database_url).connect() as connection:
        query = select(func.count()).select_from(JobRecord).where(JobRecord.status == "completed")
        return int(connection.execute(query).scalar_one())


def _depth(broker: Any) -> int:
    return int(broker.client.hlen(f"{broker.namespace}:bench.msgs"))


def run_mode(
    mode: str, jobs: int, database_url: str | None, extra_env: dict[str, str] | None = None
) -> Result:
    """Enqueue rate from this process, then the drain rate of 2 worker processes started on a full queue."""
    env = {**os.environ, "BENCH_MODE": mode, "BENCH_REDIS_URL": REDIS_URL, "PYTHONPATH": str(ROOT)}
    env.update(extra_env or {})
    if database_url:
        env["MARKETJOBS_DATABASE_URL"] = database_url
        os.environ["MARKETJOBS_DATABASE_URL"] = database_url
        from marketjobs.config import configure
        from marketjobs.store.migrate import upgrade

        configure(None)
        upgrade(database_url)
    os.environ["BENCH_MODE"] = mode
    sys.modules.pop("benchmarks.throughput_actors", None)
    actors = importlib.import_module("benchmarks.throughput_actors")
    actors.broker.flush_all()
    start = time.perf_counter()
    for _ in range(jobs):
        actors.noop.send()
    enqueue_seconds = time.perf_counter() - start
    for middleware in actors.broker.middleware:
        if hasattr(middleware, "flush"):
            middleware.flush()
    warmup = min(WARMUP_JOBS, jobs // 2)
    workers = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dramatiq",
            "benchmarks.throughput_actors",
            "-p",
            "2",
            "-t",
            "8",
            "-Q",
            "bench",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Time the steady state: from the moment both workers are consuming until every job is done
        # (and, with records, until every record says completed): worker boot time is left out.
        while _depth(actors.broker) > jobs - warmup:
            time.sleep(0.005)
        t0, remaining = time.perf_counter(), _depth(actors.broker)
        while _depth(actors.broker) > 0:
            time.sleep(0.005)
        if database_url:
            while _completed(database_url) < jobs:
                time.sleep(0.01)
        drain_seconds = time.perf_counter() - t0
    finally:
        workers.terminate()
        workers.wait(30)
        actors.broker.close()
    return Result(mode, jobs / enqueue_seconds, remaining / drain_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the best of each is kept")
    parser.add_argument("--smoke", action="store_true", help="400 jobs, one round: seconds")
    add_json_argument(parser)
    args = parser.parse_args()
    if args.smoke:
        args.jobs, args.rounds = 400, 1
    metrics = Metrics()
    if not redis_up():
        print("ratios: none measured (every mode runs on the Redis broker)")
        write(args.json, __file__, args, metrics)
        return
    lazy_ack = {"MARKETJOBS_ACK_AFTER_RECORD": "false"}
    # key (of the metrics) -> label, stack, store, environment
    modes: dict[str, tuple[str, str, str | None, dict[str, str]]] = {
        "bare": ("bare Dramatiq", "bare", None, {}),
        "sqlite": ("marketjobs + records in SQLite", "marketjobs", "sqlite", {}),
        "postgres": ("marketjobs + records in PostgreSQL", "marketjobs", "postgres", {}),
        "sqlite_lazy_ack": ("  same, SQLite, ack_after_record=false", "marketjobs", "sqlite", lazy_ack),
        "postgres_lazy_ack": (
            "  same, PostgreSQL, ack_after_record=false",
            "marketjobs",
            "postgres",
            lazy_ack,
        ),
    }
    best: dict[str, Result] = {}
    with tempfile.TemporaryDirectory() as tmp, private_database(POSTGRES_SERVER, "throughput") as postgres:
        if postgres is None:
            modes = {key: mode for key, mode in modes.items() if mode[2] != "postgres"}
        for round_no in range(args.rounds):
            for index, (key, (label, stack, store, extra_env)) in enumerate(modes.items()):
                url = None
                if store == "sqlite":
                    url = f"sqlite:///{tmp}/bench{round_no}_{index}.db"
                elif store == "postgres" and postgres:
                    url = postgres
                    _reset_postgres(url)
                result = run_mode(stack, args.jobs, url, extra_env)
                previous = best.get(key)
                best[key] = Result(
                    label,
                    max(result.enqueue_per_s, previous.enqueue_per_s if previous else 0),
                    max(result.jobs_per_s, previous.jobs_per_s if previous else 0),
                )
    print(f"{f'mode (Redis broker, 2 workers), best of {args.rounds}':50} {'enqueue/s':>10} {'jobs/s':>10}")
    for r in best.values():
        print(f"{r.mode:50} {r.enqueue_per_s:10.0f} {r.jobs_per_s:10.0f}")
    bare = best["bare"]
    for key, r in best.items():
        metrics.higher(metric_name(key, "enqueue_per_s"), r.enqueue_per_s)
        metrics.higher(metric_name(key, "jobs_per_s"), r.jobs_per_s)
        if key != "bare":
            metrics.higher(metric_name(key, "jobs_vs_bare_x"), r.jobs_per_s / bare.jobs_per_s)
            metrics.higher(metric_name(key, "enqueue_vs_bare_x"), r.enqueue_per_s / bare.enqueue_per_s)

    def vs_bare(suffix: str, what: str) -> str:
        found = [(name, best.get(key + suffix)) for key, name in STORES.items()]
        return ", ".join(f"{name} {getattr(r, what) / getattr(bare, what):.2f}x" for name, r in found if r)

    print(
        f"ratios: jobs/s vs bare Dramatiq (target >= 0.85x): {vs_bare('', 'jobs_per_s')}; "
        f"ack_after_record=false: {vs_bare('_lazy_ack', 'jobs_per_s')}; "
        f"enqueue {vs_bare('', 'enqueue_per_s')}"
    )
    write(args.json, __file__, args, metrics)


if __name__ == "__main__":
    main()
