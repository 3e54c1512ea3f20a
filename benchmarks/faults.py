"""Faults: idempotent jobs through every broker while workers are killed, servers crash and a worker stalls.

For each broker (the SQL broker on SQLite and on PostgreSQL, Redis, RabbitMQ) it sends N jobs of
``benchmarks/faults_actors.py`` (each applies an effect once through a unique key) and runs them on a few
``dramatiq`` worker processes with 2 s leases while it, at set shares of the work done:

- kills a random worker process group with kill -9, again and again (a supervisor's replacement starts at
  once; any worker that exits is replaced the same way);
- crashes the broker's private server and starts it again (Redis and RabbitMQ kill -9, PostgreSQL an
  immediate shutdown; private servers on free ports, see benchmarks/faults_servers.py; never the shared ones);
- stalls a worker past its lease (SIGSTOP for three leases, then SIGCONT), so its messages are delivered
  again elsewhere while it still holds them.

Then it checks that every job completed (each key's effect applied, each job record completed), that no
effect was applied twice, and that nothing is stuck (no record pending or running; the broker's queue holds
nothing ready, delayed or dead once the workers stopped). Per broker it prints jobs, kills, restarts,
duplicate executions (deliveries that found their effect already applied: at-least-once redeliveries),
recovery (the longest gap between completions after the first fault), and the ratios last. Exit code 1 when
any broker lost, doubled or stranded a job.

    .venv/bin/python benchmarks/faults.py [--jobs 300] [--kills 5] [--brokers sqlite,redis]
    .venv/bin/python benchmarks/faults.py --smoke     # about 2 minutes; CI runs this
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.faults_run import Plan, run_broker  # noqa: E402
from benchmarks.faults_servers import (  # noqa: E402
    PrivatePostgres,
    PrivateRabbitmq,
    PrivateRedis,
    PrivateServer,
    Unavailable,
)
from benchmarks.summary import Metrics, add_json_argument, metric_name, write  # noqa: E402

BROKERS = ("sqlite", "postgres", "redis", "rabbitmq")
SERVERS: dict[str, type[PrivateServer]] = {
    "postgres": PrivatePostgres,
    "redis": PrivateRedis,
    "rabbitmq": PrivateRabbitmq,
}


@dataclass
class Report:
    """What one broker's run showed."""

    broker: str
    jobs: int = 0
    lost: int = 0
    kills: int = 0
    restarts: int = 0
    stalls: int = 0
    duplicates: int = 0
    recovery_seconds: float = 0.0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    skipped: str = ""
    #: How the broker's server was crashed ("" without a server).
    crash_method: str = ""


def _plan(args: argparse.Namespace) -> Plan:
    if args.smoke:
        return Plan(jobs=60, workers=2, threads=2, work_seconds=0.1, kills=1, restarts=1, stall=True)
    return Plan(
        jobs=args.jobs,
        workers=args.workers,
        threads=args.threads,
        work_seconds=args.work_seconds,
        kills=args.kills,
        restarts=args.restarts,
        stall=True,
    )


def _one(kind: str, plan: Plan, tmp: Path, rng: random.Random) -> Report:
    report = Report(kind, jobs=plan.jobs)
    server: PrivateServer | None = None
    began = time.monotonic()
    try:
        if kind == "sqlite":
            broker_url = database_url = f"sqlite:///{tmp / 'sqlite' / 'broker.db'}"
            (tmp / "sqlite").mkdir()
        else:
            server = SERVERS[kind](tmp)
            try:
                server.start()
            except Unavailable as exc:
                report.skipped = str(exc)
                return report
            broker_url, report.crash_method = server.url, server.crash_method
            database_url = server.url if kind == "postgres" else f"sqlite:///{server.root / 'records.db'}"
        outcome = run_broker(kind, plan, broker_url, database_url, server, tmp / f"{kind}-run", rng)
        report.lost, report.duplicates = outcome.lost, outcome.duplicates
        report.kills, report.restarts, report.stalls = outcome.kills, outcome.restarts, outcome.stalls
        report.recovery_seconds, report.problems = outcome.recovery_seconds, outcome.problems
    finally:
        if server is not None:
            server.close()
        report.seconds = time.monotonic() - began
    return report


def _print(reports: list[Report], plan: Plan) -> int:
    header = f"{'broker':10} {'jobs':>5} {'lost':>5} {'kills':>6} {'restarts':>9} {'stalls':>7}"
    print(f"{header} {'duplicates':>11} {'recovery':>9} {'total':>7}  verdict")
    for r in reports:
        if r.skipped:
            print(f"{r.broker:10} skipped: {r.skipped}")
            continue
        verdict = "ok" if not r.problems else "FAILED: " + "; ".join(r.problems)
        print(
            f"{r.broker:10} {r.jobs:5d} {r.lost:5d} {r.kills:6d} {r.restarts:9d} {r.stalls:7d} "
            f"{r.duplicates:11d} {r.recovery_seconds:8.1f}s {r.seconds:6.0f}s  {verdict}"
        )
    ran = [r for r in reports if not r.skipped]
    if methods := [f"{r.broker} {r.crash_method}" for r in ran if r.crash_method]:
        print("restarts: " + ", ".join(methods) + ", then a start on the same data and port")
    failed = [r for r in ran if r.problems]
    lost = (
        f"lost 0/{plan.jobs} on every broker run"
        if not any(r.lost for r in ran)
        else "lost " + ", ".join(f"{r.broker} {r.lost}/{r.jobs}" for r in ran)
    )
    duplicates = ", ".join(f"{r.broker} {r.duplicates}" for r in ran) or "none run"
    recovery = max(ran, key=lambda r: r.recovery_seconds, default=None)
    parts = [lost, f"duplicates {duplicates}"]
    if recovery is not None:
        parts.append(f"longest recovery {recovery.recovery_seconds:.1f} s ({recovery.broker})")
    if skipped := [r.broker for r in reports if r.skipped]:
        parts.append("skipped " + ", ".join(skipped))
    parts.append("FAILED " + ", ".join(r.broker for r in failed) if failed else "all checks passed")
    print("ratios: " + "; ".join(parts))
    return 1 if failed else 0


def _metrics(reports: list[Report]) -> Metrics:
    metrics = Metrics()
    for r in reports:
        if not r.skipped:
            metrics.lower(metric_name(r.broker, "lost_jobs"), r.lost)
            metrics.lower(metric_name(r.broker, "recovery_s"), r.recovery_seconds)
            metrics.lower(metric_name(r.broker, "total_s"), r.seconds)
    metrics.lower("brokers_failed", sum(1 for r in reports if r.problems))
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="small N, one fault of each kind per broker")
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--kills", type=int, default=5, help="kill -9s of worker processes per broker")
    parser.add_argument("--restarts", type=int, default=1, help="server crashes per broker (not SQLite)")
    parser.add_argument("--workers", type=int, default=3, help="worker processes")
    parser.add_argument("--threads", type=int, default=2, help="worker threads per process")
    parser.add_argument("--work-seconds", type=float, default=0.2, help="how long each job works")
    parser.add_argument(
        "--brokers", default=",".join(BROKERS), help="comma-separated subset of " + ", ".join(BROKERS)
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the random victim choice")
    add_json_argument(parser)
    args = parser.parse_args()
    kinds = [k.strip() for k in args.brokers.split(",") if k.strip()]
    if unknown := sorted(set(kinds) - set(BROKERS)):
        parser.error(f"unknown brokers {unknown}; choose from {', '.join(BROKERS)}")
    plan = _plan(args)
    rng = random.Random(args.seed)
    reports = []
    with tempfile.TemporaryDirectory(prefix="marketjobs-faults-") as tmp:
        for kind in kinds:
            reports.append(_one(kind, plan, Path(tmp), rng))
            print(f"# {kind}: {reports[-1].seconds:.0f} s", file=sys.stderr, flush=True)
        code = _print(reports, plan)
    write(args.json, __file__, args, _metrics(reports))
    sys.exit(code)


if __name__ == "__main__":
    main()
