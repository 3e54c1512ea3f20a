"""The SQL broker (SQLite, PostgreSQL) against Dramatiq's Redis broker: jobs/s, enqueue/s, idle pickup.

Same no-op workload for each broker, in one run on this machine: N jobs enqueued from this process (the
enqueue rate from one client), then 2 worker processes (`dramatiq -p 2 -t 8`) drain the queue; the drain
is timed once both workers consume (jobs/s). "bare" is the broker alone; "marketjobs" adds job records,
retries, priorities and idempotency (records in the same database as the SQL broker, SQLite for Redis).
Then idle pickup latency: one worker waits on an empty queue and jobs are sent one at a time, 150 ms
apart; p50/p95 of send-to-start. Ratios are printed last. Needs Redis and PostgreSQL.

    .venv/bin/python benchmarks/sql_broker.py [--jobs 10000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/14?socket_timeout=120"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
#: Jobs the workers take before timing starts (both processes booted and consuming).
WARMUP_JOBS = 500
#: Jobs sent one by one to an idle worker for the pickup latency.
LATENCY_SAMPLES = 40


@dataclass
class Result:
    label: str
    enqueue_per_s: float
    jobs_per_s: float


def _reset(url: str) -> None:
    from benchmarks.throughput import _reset_postgres

    if url.startswith("postgresql"):
        _reset_postgres(url)


def _load_actors(url: str, stack: str, env: dict[str, str]) -> Any:
    os.environ.update(env)
    from marketjobs.config import configure

    configure(None)
    sys.modules.pop("benchmarks.sql_broker_actors", None)
    return importlib.import_module("benchmarks.sql_broker_actors")


def _depth(broker: Any, queue: str) -> int:
    if hasattr(broker, "table"):
        return int(broker.table.unfinished(queue))
    names = [f"{broker.namespace}:{queue}.msgs"] + [
        f"{broker.namespace}:{queue}.{p}.msgs" for p in ("critical", "high", "normal", "low")
    ]
    return sum(int(broker.client.hlen(name)) for name in names)


def _workers(env: dict[str, str], processes: int, queue: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "dramatiq", "benchmarks.sql_broker_actors"]
    command += ["-p", str(processes), "-t", "8", "-Q", queue]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _env(url: str, stack: str, database_url: str, tmp: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BENCH_BROKER_URL": url,
        "BENCH_STACK": stack,
        "BENCH_LATENCY_LOG": f"{tmp}/latency.log",
        "MARKETJOBS_BROKER_URL": url,
        "MARKETJOBS_DATABASE_URL": database_url,
    }


def throughput(label: str, url: str, stack: str, database_url: str, jobs: int, tmp: str) -> Result:
    """Enqueue rate from this process, then the drain rate of 2 worker processes on a full queue."""
    _reset(url)
    if stack == "marketjobs":
        from marketjobs.store.migrate import upgrade

        upgrade(database_url)
    env = _env(url, stack, database_url, tmp)
    actors = _load_actors(url, stack, env)
    actors.broker.flush_all()
    start = time.perf_counter()
    for _ in range(jobs):
        actors.noop.send()
    enqueue_seconds = time.perf_counter() - start
    for middleware in actors.broker.middleware:
        if hasattr(middleware, "flush"):
            middleware.flush()
    workers = _workers(env, 2, "bench")
    try:
        while _depth(actors.broker, "bench") > jobs - WARMUP_JOBS:
            time.sleep(0.005)
        t0, remaining = time.perf_counter(), _depth(actors.broker, "bench")
        while _depth(actors.broker, "bench") > 0:
            time.sleep(0.005)
        drain_seconds = time.perf_counter() - t0
    finally:
        workers.terminate()
        workers.wait(30)
        actors.broker.close()
    return Result(label, jobs / enqueue_seconds, remaining / drain_seconds)


def pickup_latency(url: str, tmp: str) -> tuple[float, float]:
    """p50 and p95 seconds from send to start for jobs sent to an idle worker (bare broker)."""
    _reset(url)
    env = _env(url, "bare", url, tmp)
    log = Path(env["BENCH_LATENCY_LOG"])
    log.unlink(missing_ok=True)
    actors = _load_actors(url, "bare", env)
    workers = _workers(env, 1, "latency")
    try:
        actors.pickup.send(time.time())  # the first one waits for the worker to boot
        while not log.exists():
            time.sleep(0.05)
        log.unlink()
        for _ in range(LATENCY_SAMPLES):
            time.sleep(0.15)
            actors.pickup.send(time.time())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if log.exists() and len(log.read_text().split()) >= LATENCY_SAMPLES:
                break
            time.sleep(0.05)
    finally:
        workers.terminate()
        workers.wait(30)
        actors.broker.close()
    samples = sorted(float(x) for x in log.read_text().split())
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the best of each is kept")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    best: dict[str, Result] = {}
    latencies: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite:///{tmp}/broker.db"
        modes = [
            ("Redis (Dramatiq's broker), bare", REDIS_URL, "bare", f"sqlite:///{tmp}/records.db"),
            ("SQL broker on SQLite, bare", sqlite, "bare", sqlite),
            ("SQL broker on PostgreSQL, bare", POSTGRES_URL, "bare", POSTGRES_URL),
            (
                "Redis + marketjobs (records in SQLite)",
                REDIS_URL,
                "marketjobs",
                f"sqlite:///{tmp}/records.db",
            ),
            ("SQLite + marketjobs (records in SQLite)", sqlite, "marketjobs", sqlite),
            ("PostgreSQL + marketjobs (records in PostgreSQL)", POSTGRES_URL, "marketjobs", POSTGRES_URL),
        ]
        for round_no in range(args.rounds):
            for label, url, stack, database_url in modes:
                if url.startswith("sqlite"):
                    url = database_url = f"sqlite:///{tmp}/broker{round_no}_{stack}.db"
                elif database_url.startswith("sqlite"):
                    database_url = f"sqlite:///{tmp}/records{round_no}_{stack}.db"
                result = throughput(label, url, stack, database_url, args.jobs, tmp)
                previous = best.get(label)
                best[label] = Result(
                    label,
                    max(result.enqueue_per_s, previous.enqueue_per_s if previous else 0),
                    max(result.jobs_per_s, previous.jobs_per_s if previous else 0),
                )
        for label, url in (("SQLite", f"sqlite:///{tmp}/latency.db"), ("PostgreSQL", POSTGRES_URL)):
            latencies[label] = pickup_latency(url, tmp)
    title = f"broker, 2 worker processes x 8 threads, best of {args.rounds}"
    print(f"{title:50} {'enqueue/s':>10} {'jobs/s':>10}")
    for r in best.values():
        print(f"{r.label:50} {r.enqueue_per_s:10.0f} {r.jobs_per_s:10.0f}")
    for label, (p50, p95) in latencies.items():
        print(f"idle pickup latency, {label}: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    r = list(best.values())
    print(
        f"jobs/s vs Redis, bare: SQLite {r[1].jobs_per_s / r[0].jobs_per_s:.2f}x (target >= 0.50), "
        f"PostgreSQL {r[2].jobs_per_s / r[0].jobs_per_s:.2f}x (target >= 0.60); with marketjobs: "
        f"SQLite {r[4].jobs_per_s / r[3].jobs_per_s:.2f}x, "
        f"PostgreSQL {r[5].jobs_per_s / r[3].jobs_per_s:.2f}x; "
        f"SQLite enqueue {r[1].enqueue_per_s:.0f}/s bare, {r[4].enqueue_per_s:.0f}/s with marketjobs "
        f"(target >= 1000); idle pickup p50 SQLite {latencies['SQLite'][0] * 1000:.0f} ms (target <= 50)"
    )


if __name__ == "__main__":
    main()
