"""No-op jobs per second: bare Dramatiq vs marketjobs with job records (SQLite, PostgreSQL), Redis broker.

Runs everything in one go on this machine. For each mode it enqueues N no-op jobs from this process (the
enqueue rate), then starts 2 worker processes (`dramatiq -p 2 -t 8`) on the full queue and times the drain
once both are consuming, until the queue is empty and, with records, every record says completed (jobs/s).
Prints a table, then the ratios last. Needs Redis and PostgreSQL.

    .venv/bin/python benchmarks/throughput.py [--jobs 5000]
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
REDIS_URL = "redis://127.0.0.1:6379/14?socket_timeout=120"  # the 5 s default trips on a loaded machine
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
#: Jobs the workers take before timing starts (both processes booted and consuming).
WARMUP_JOBS = 500


@dataclass
class Result:
    mode: str
    enqueue_per_s: float
    jobs_per_s: float


def _reset_postgres(url: str) -> None:
    """Drops every table of the store, whatever references what (CASCADE: the alert and portfolio tables
    reference others, so a drop in metadata order without it fails)."""
    from sqlalchemy import text

    from marketjobs.store.engine import create_store_engine
    from marketjobs.store.schema import metadata

    with create_store_engine(url).begin() as connection:
        for table in (*metadata.tables, "alembic_version"):
            connection.execute(text(f"DROP TABLE IF EXISTS {table} CASCADE"))


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
        while _depth(actors.broker) > jobs - WARMUP_JOBS:
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
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    lazy_ack = {"MARKETJOBS_ACK_AFTER_RECORD": "false"}
    modes: dict[str, tuple[str, str | None, dict[str, str]]] = {
        "bare Dramatiq": ("bare", None, {}),
        "marketjobs + records in SQLite": ("marketjobs", "sqlite", {}),
        "marketjobs + records in PostgreSQL": ("marketjobs", POSTGRES_URL, {}),
        "  same, SQLite, ack_after_record=false": ("marketjobs", "sqlite", lazy_ack),
        "  same, PostgreSQL, ack_after_record=false": ("marketjobs", POSTGRES_URL, lazy_ack),
    }
    best: dict[str, Result] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_no in range(args.rounds):
            for index, (label, (mode, store, extra_env)) in enumerate(modes.items()):
                if store == "sqlite":
                    store = f"sqlite:///{tmp}/bench{round_no}_{index}.db"
                elif store:
                    _reset_postgres(store)
                result = run_mode(mode, args.jobs, store, extra_env)
                previous = best.get(label)
                best[label] = Result(
                    label,
                    max(result.enqueue_per_s, previous.enqueue_per_s if previous else 0),
                    max(result.jobs_per_s, previous.jobs_per_s if previous else 0),
                )
    results = list(best.values())
    print(f"{f'mode (Redis broker, 2 workers), best of {args.rounds}':50} {'enqueue/s':>10} {'jobs/s':>10}")
    for r in results:
        print(f"{r.mode:50} {r.enqueue_per_s:10.0f} {r.jobs_per_s:10.0f}")
    bare = results[0]
    ratios = [r.jobs_per_s / bare.jobs_per_s for r in results[1:]]
    enqueue = [r.enqueue_per_s / bare.enqueue_per_s for r in results[1:3]]
    print(
        f"jobs/s vs bare Dramatiq (target >= 0.85x): SQLite {ratios[0]:.2f}x, PostgreSQL {ratios[1]:.2f}x; "
        f"ack_after_record=false: {ratios[2]:.2f}x, {ratios[3]:.2f}x; "
        f"enqueue {enqueue[0]:.2f}x, {enqueue[1]:.2f}x"
    )


if __name__ == "__main__":
    main()
