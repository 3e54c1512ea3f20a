"""The SQL broker (SQLite, PostgreSQL) against Dramatiq's Redis broker: jobs/s, enqueue/s, idle pickup.

Same no-op workload for each broker, in one run on this machine: N jobs enqueued from this process (the
enqueue rate from one client), then 2 worker processes (`dramatiq -p 2 -t 8`) drain the queue; the drain
is timed once both workers consume (jobs/s). "bare" is the broker alone; "marketjobs" adds job records,
retries, priorities and idempotency (records in the same database as the SQL broker, SQLite for Redis).
Then idle pickup latency: one worker waits on an empty queue and jobs are sent one at a time, 150 ms
apart; p50/p95 of send-to-start. Enqueue/s from one client is also measured with 8 threads sending at
once (group commit on the SQL broker) and in send_many batches (benchmarks/sql_enqueue_modes.py). Ratios
are printed last. The Redis and PostgreSQL modes are skipped when their server is down; PostgreSQL runs in
a database of its own (BENCH_POSTGRES_URL, benchmarks/services.py).

    .venv/bin/python benchmarks/sql_broker.py [--jobs 10000] [--rounds 2] [--json var/bench/sql_broker.json]
    .venv/bin/python benchmarks/sql_broker.py --smoke      # 400 jobs, one round: seconds; CI runs this
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
sys.path.insert(0, str(ROOT))

from benchmarks.services import POSTGRES_SERVER, REDIS_URL, private_database, redis_up  # noqa: E402
from benchmarks.sql_enqueue_modes import BATCH, THREADS, enqueue_rates  # noqa: E402
from benchmarks.summary import Metrics, add_json_argument, metric_name, write  # noqa: E402

#: Jobs the workers take before timing starts (both processes booted and consuming); at most half the jobs.
WARMUP_JOBS = 500
#: Jobs sent one by one to an idle worker for the pickup latency (the smoke run sends fewer).
LATENCY_SAMPLES = 40
SMOKE_LATENCY_SAMPLES = 8


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
    warmup = min(WARMUP_JOBS, jobs // 2)
    workers = _workers(env, 2, "bench")
    try:
        while _depth(actors.broker, "bench") > jobs - warmup:
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


def enqueue_modes(url: str, stack: str, database_url: str, jobs: int, tmp: str) -> dict[str, float]:
    """Enqueue/s of 8 threads at once and of send_many batches, on a fresh broker (no workers)."""
    _reset(url)
    if stack == "marketjobs":
        from marketjobs.store.migrate import upgrade

        upgrade(database_url)
    actors = _load_actors(url, stack, _env(url, stack, database_url, tmp))
    actors.broker.flush_all()
    try:
        return enqueue_rates(actors, jobs)
    finally:
        actors.broker.close()


def pickup_latency(url: str, tmp: str, samples: int = LATENCY_SAMPLES) -> tuple[float, float]:
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
        for _ in range(samples):
            time.sleep(0.15)
            actors.pickup.send(time.time())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if log.exists() and len(log.read_text().split()) >= samples:
                break
            time.sleep(0.05)
    finally:
        workers.terminate()
        workers.wait(30)
        actors.broker.close()
    seconds = sorted(float(x) for x in log.read_text().split())
    return statistics.median(seconds), seconds[max(0, int(len(seconds) * 0.95) - 1)]


def _ratio(best: dict[str, Result], key: str, base: str) -> str:
    """``key``'s jobs/s against ``base``'s, or "skipped" when either did not run."""
    if key not in best or base not in best:
        return "skipped"
    return f"{best[key].jobs_per_s / best[base].jobs_per_s:.2f}x"


def _ms(latencies: dict[str, tuple[float, float]], store: str) -> str:
    return f"{latencies[store][0] * 1000:.0f} ms" if store in latencies else "skipped"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; the best of each is kept")
    parser.add_argument("--smoke", action="store_true", help="400 jobs, one round, 8 pickups: seconds")
    add_json_argument(parser)
    args = parser.parse_args()
    samples = LATENCY_SAMPLES
    if args.smoke:
        args.jobs, args.rounds, samples = 400, 1, SMOKE_LATENCY_SAMPLES
    best: dict[str, Result] = {}
    latencies: dict[str, tuple[float, float]] = {}
    enqueue: dict[str, dict[str, float]] = {}  # key -> enqueue/s of the threads and batched modes
    redis = redis_up()
    with tempfile.TemporaryDirectory() as tmp, private_database(POSTGRES_SERVER, "sql_broker") as postgres:
        sqlite, records = f"sqlite:///{tmp}/broker.db", f"sqlite:///{tmp}/records.db"
        # key (of the metrics) -> label, broker URL, stack, store URL; None where the server is down
        modes: dict[str, tuple[str, str | None, str, str | None]] = {
            "redis": ("Redis (Dramatiq's broker), bare", REDIS_URL if redis else None, "bare", records),
            "sqlite": ("SQL broker on SQLite, bare", sqlite, "bare", sqlite),
            "postgres": ("SQL broker on PostgreSQL, bare", postgres, "bare", postgres),
            "redis_marketjobs": ("Redis + marketjobs (records in SQLite)", REDIS_URL if redis else None,
                                 "marketjobs", records),
            "sqlite_marketjobs": ("SQLite + marketjobs (records in SQLite)", sqlite, "marketjobs", sqlite),
            "postgres_marketjobs": ("PostgreSQL + marketjobs (records in PostgreSQL)", postgres, "marketjobs",
                                    postgres),
        }  # fmt: skip
        for round_no in range(args.rounds):
            for key, (label, url, stack, database_url) in modes.items():
                if url is None or database_url is None:
                    continue
                if url.startswith("sqlite"):
                    url = database_url = f"sqlite:///{tmp}/broker{round_no}_{stack}.db"
                elif database_url.startswith("sqlite"):
                    database_url = f"sqlite:///{tmp}/records{round_no}_{stack}.db"
                result = throughput(label, url, stack, database_url, args.jobs, tmp)
                rates = enqueue_modes(url, stack, database_url, args.jobs, tmp)
                enqueue[key] = {k: max(v, enqueue.get(key, {}).get(k, 0.0)) for k, v in rates.items()}
                previous = best.get(key)
                best[key] = Result(
                    label,
                    max(result.enqueue_per_s, previous.enqueue_per_s if previous else 0),
                    max(result.jobs_per_s, previous.jobs_per_s if previous else 0),
                )
        for label, latency_url in (("SQLite", f"sqlite:///{tmp}/latency.db"), ("PostgreSQL", postgres)):
            if latency_url is not None:
                latencies[label] = pickup_latency(latency_url, tmp, samples)
    title = f"broker, 2 worker processes x 8 threads, best of {args.rounds}"
    print(f"{title:50} {'enqueue/s':>10} {'jobs/s':>10}")
    for r in best.values():
        print(f"{r.label:50} {r.enqueue_per_s:10.0f} {r.jobs_per_s:10.0f}")
    print(f"{'enqueue/s from one client':50} {'single':>10} {f'{THREADS} threads':>10} {f'x{BATCH}':>10}")
    for key, rates in enqueue.items():
        per_commit = f"  ({rates['rows_per_commit']:.1f} sends/commit)" if "rows_per_commit" in rates else ""
        row = f"{best[key].enqueue_per_s:10.0f} {rates['threads']:10.0f} {rates['batched']:10.0f}"
        print(f"{best[key].label:50} {row}{per_commit}")
    for label, (p50, p95) in latencies.items():
        print(f"idle pickup latency, {label}: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms")
    print(
        f"ratios: jobs/s vs Redis, bare: SQLite {_ratio(best, 'sqlite', 'redis')} (target >= 0.50), "
        f"PostgreSQL {_ratio(best, 'postgres', 'redis')} (target >= 0.60); with marketjobs: "
        f"SQLite {_ratio(best, 'sqlite_marketjobs', 'redis_marketjobs')}, "
        f"PostgreSQL {_ratio(best, 'postgres_marketjobs', 'redis_marketjobs')}; "
        f"SQLite enqueue {best['sqlite'].enqueue_per_s:.0f}/s bare, "
        f"{best['sqlite_marketjobs'].enqueue_per_s:.0f}/s with marketjobs (target >= 1000); "
        f"idle pickup p50 SQLite {_ms(latencies, 'SQLite')} (target <= 50); "
        f"PostgreSQL enqueue/s bare: {_enqueue(best, enqueue, 'postgres')} (targets >= 5000 single, "
        ">= 20000 batched)"
    )
    write(args.json, __file__, args, _metrics(best, latencies, enqueue))


def _enqueue(best: dict[str, Result], enqueue: dict[str, dict[str, float]], key: str) -> str:
    if key not in enqueue:
        return "skipped"
    rates = enqueue[key]
    return (
        f"single {best[key].enqueue_per_s:.0f}, {THREADS} threads {rates['threads']:.0f}, "
        f"batched {rates['batched']:.0f}"
    )


def _metrics(
    best: dict[str, Result], latencies: dict[str, tuple[float, float]], enqueue: dict[str, dict[str, float]]
) -> Metrics:
    metrics = Metrics()
    for key, rates in enqueue.items():
        metrics.higher(metric_name(key, "enqueue_threads_per_s"), rates["threads"])
        metrics.higher(metric_name(key, "enqueue_batched_per_s"), rates["batched"])
    for key, r in best.items():
        metrics.higher(metric_name(key, "enqueue_per_s"), r.enqueue_per_s)
        metrics.higher(metric_name(key, "jobs_per_s"), r.jobs_per_s)
        base = "redis_marketjobs" if key.endswith("_marketjobs") else "redis"
        if key != base and base in best:
            metrics.higher(metric_name(key, "jobs_vs_redis_x"), r.jobs_per_s / best[base].jobs_per_s)
    for label, (p50, p95) in latencies.items():
        metrics.lower(metric_name(label, "pickup_p50_ms"), p50 * 1000)
        metrics.lower(metric_name(label, "pickup_p95_ms"), p95 * 1000)
    return metrics


if __name__ == "__main__":
    main()
