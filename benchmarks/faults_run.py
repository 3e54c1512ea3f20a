"""One broker's fault run for benchmarks/faults.py: workers, the fault schedule, and the checks at the end."""

from __future__ import annotations

import contextlib
import importlib
import os
import random
import signal
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.faults_servers import PrivateServer
from benchmarks.faults_workers import ACTORS, ROOT, Workers, signal_group

#: Lease of the SQL broker and heartbeat timeout of Redis during the run, in seconds.
LEASE_SECONDS = 2.0
#: A stalled worker stays stopped this many leases.
STALL_LEASES = 3
#: Seconds the jobs may take to finish after the last fault.
SETTLE_TIMEOUT_SECONDS = 180.0


@dataclass(frozen=True)
class Plan:
    """How big a run is and which faults it injects."""

    jobs: int
    workers: int
    threads: int
    work_seconds: float
    kills: int
    restarts: int
    stall: bool


@dataclass
class Outcome:
    """What a run measured and what its checks found."""

    lost: int = 0
    duplicates: int = 0
    kills: int = 0
    restarts: int = 0
    stalls: int = 0
    recovery_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def schedule(plan: Plan, has_server: bool) -> list[tuple[float, str]]:
    """(share of jobs done, fault) pairs in order: kills spread over 10-80 %, a stall at 25 %, server
    crashes around the middle."""
    faults = [(0.1 + 0.7 * i / max(1, plan.kills - 1), "kill") for i in range(plan.kills)]
    if plan.kills == 1:
        faults = [(0.2, "kill")]
    if plan.stall:
        faults.append((0.25, "stall"))
    if has_server:
        faults += [(0.4 + 0.3 * i / max(1, plan.restarts), "restart") for i in range(plan.restarts)]
    return sorted(faults)


def _load_actors(env: dict[str, str]) -> ModuleType:
    """The actors module built afresh on this run's broker and store (its settings read from ``env``)."""
    from marketjobs.config import configure

    os.environ.update({k: v for k, v in env.items() if k.startswith(("MARKETJOBS_", "FAULTS_"))})
    configure(None)
    sys.modules.pop(ACTORS, None)
    return importlib.import_module(ACTORS)


def _send(actors: ModuleType, jobs: int) -> None:
    actors.broker.flush_all()
    for n in range(jobs):
        actors.apply_effect.send(f"job-{n}")
    for middleware in actors.broker.middleware:
        if hasattr(middleware, "flush"):
            middleware.flush()
    actors.broker.close()


def _count(path: Path, sql: str) -> int:
    with contextlib.closing(sqlite3.connect(path, timeout=60)) as connection:
        return int(connection.execute(sql).fetchone()[0])


def _statuses(database_url: str) -> dict[str, int] | None:
    """Job records by status, None while the store cannot be read (its server restarting)."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from marketjobs.store.engine import create_store_engine
    from marketjobs.store.models import JobRecord

    try:
        with create_store_engine(database_url).connect() as connection:
            rows = connection.execute(select(JobRecord.status, func.count()).group_by(JobRecord.status))
            return {str(status): int(count) for status, count in rows}
    except SQLAlchemyError:
        return None


def _recovery(effects: Path, first_fault: float | None) -> float:
    """The longest gap between consecutive completions (first effects) that ends after the first fault."""
    if first_fault is None:
        return 0.0
    with contextlib.closing(sqlite3.connect(effects, timeout=60)) as connection:
        times = [row[0] for row in connection.execute("SELECT applied_at FROM effects ORDER BY applied_at")]
    gaps = [b - a for a, b in zip([first_fault, *times], times, strict=False) if b > first_fault]
    return max(gaps, default=0.0)


def _queue_left(env: dict[str, str], queue: str) -> dict[str, int]:
    """Messages of ``queue`` (every priority) still ready, delayed or dead, seen by a fresh broker."""
    from marketjobs.brokers import queue_depths
    from marketjobs.brokers.priorities import base_queue_name

    actors = _load_actors(env)
    try:
        depths = [d for d in queue_depths(actors.broker) if base_queue_name(d.queue) == queue]
        return {
            "ready": sum(d.ready for d in depths),
            "delayed": sum(d.delayed for d in depths),
            "dead": sum(d.dead for d in depths),
        }
    finally:
        actors.broker.close()


def run_broker(
    kind: str,
    plan: Plan,
    broker_url: str,
    database_url: str,
    server: PrivateServer | None,
    work: Path,
    rng: random.Random,
) -> Outcome:
    """Runs ``plan`` on one broker and checks the result (see benchmarks/faults.py)."""
    from marketjobs.store.migrate import upgrade

    work.mkdir(parents=True)
    effects = work / "effects.db"
    queue = f"faults{os.getpid()}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MARKETJOBS_BROKER_URL": broker_url,
        "MARKETJOBS_DATABASE_URL": database_url,
        "MARKETJOBS_LEASE_SECONDS": str(LEASE_SECONDS),
        "MARKETJOBS_HEARTBEAT_SECONDS": "0.5",
        "MARKETJOBS_RECORDS_FLUSH_SECONDS": "0.05",
        "MARKETJOBS_MIN_BACKOFF_SECONDS": "0.2",
        "MARKETJOBS_MAX_BACKOFF_SECONDS": "2",
        "FAULTS_EFFECTS_DB": str(effects),
        "FAULTS_QUEUE": queue,
        "FAULTS_WORK_SECONDS": str(plan.work_seconds),
    }
    upgrade(database_url)
    actors = _load_actors(env)
    actors.create_effects(effects)
    _send(actors, plan.jobs)
    outcome = Outcome()
    workers = Workers(env, plan.threads, queue, work / "workers.log")
    for _ in range(plan.workers):
        workers.start()
    first_fault: float | None = None
    pending = schedule(plan, server is not None)
    try:
        deadline = None
        while True:
            workers.replace_exited()
            done = _count(effects, "SELECT count(*) FROM effects")
            if pending and done >= pending[0][0] * plan.jobs:
                _, fault = pending.pop(0)
                first_fault = first_fault or time.time()
                _inject(fault, workers, server, rng, outcome)
                continue
            if not pending:
                deadline = deadline or time.monotonic() + SETTLE_TIMEOUT_SECONDS
                if _finished(plan, done, database_url, env, queue):
                    break
                if time.monotonic() > deadline:
                    outcome.problems.append(
                        f"not finished {SETTLE_TIMEOUT_SECONDS:.0f} s after the last fault"
                    )
                    break
                time.sleep(0.4)
            time.sleep(0.1)
    finally:
        workers.stop()
    _check(outcome, plan, effects, database_url, env, queue)
    outcome.recovery_seconds = _recovery(effects, first_fault)
    if outcome.problems:
        print(f"# {kind}: worker log {work / 'workers.log'}, last lines:", file=sys.stderr)
        lines = (work / "workers.log").read_text(errors="replace").splitlines()
        print("\n".join(lines[-40:]), file=sys.stderr, flush=True)
    return outcome


def _finished(plan: Plan, done: int, database_url: str, env: dict[str, str], queue: str) -> bool:
    """Every effect applied, every job record completed, and the queue drained (redeliveries included)."""
    if done < plan.jobs:
        return False
    statuses = _statuses(database_url)
    if statuses is None or statuses.get("completed", 0) < plan.jobs:
        return False
    try:
        return not any(_queue_left(env, queue).values())
    except Exception:  # the broker is not reachable yet
        return False


def _inject(
    fault: str, workers: Workers, server: PrivateServer | None, rng: random.Random, outcome: Outcome
) -> None:
    if fault == "kill":
        workers.kill(workers.victim(rng))
        outcome.kills += 1
    elif fault == "stall":
        victim = workers.victim(rng)
        signal_group(victim, signal.SIGSTOP)
        time.sleep(STALL_LEASES * LEASE_SECONDS)
        signal_group(victim, signal.SIGCONT)
        outcome.stalls += 1
    elif fault == "restart" and server is not None:
        server.restart()
        outcome.restarts += 1


def _check(
    outcome: Outcome, plan: Plan, effects: Path, database_url: str, env: dict[str, Any], queue: str
) -> None:
    applied = _count(effects, "SELECT count(*) FROM effects")
    first_runs = _count(effects, "SELECT count(*) FROM attempts WHERE duplicate = 0")
    outcome.lost = plan.jobs - applied
    outcome.duplicates = _count(effects, "SELECT count(*) FROM attempts WHERE duplicate = 1")
    if applied != plan.jobs:
        with contextlib.closing(sqlite3.connect(effects, timeout=60)) as connection:
            done = {row[0] for row in connection.execute("SELECT key FROM effects")}
        missing = [key for n in range(plan.jobs) if (key := f"job-{n}") not in done]
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        outcome.problems.append(f"{len(missing)} of {plan.jobs} effects never applied ({shown})")
    if first_runs != applied:
        outcome.problems.append(f"{first_runs} first applications for {applied} effects")
    statuses = _statuses(database_url) or {}
    if statuses != {"completed": plan.jobs}:
        outcome.problems.append(f"job records by status {statuses}, expected {{'completed': {plan.jobs}}}")
    left = _queue_left(env, queue)
    if any(left.values()):
        outcome.problems.append(f"queue not empty: {left}")
