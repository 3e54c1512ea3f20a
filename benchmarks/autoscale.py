"""Autoscaling on queue latency vs a fixed pool at max: a burst of N jobs of cost c, real processes.

Runs ``marketjobs supervisor`` twice on the same broker (SQL broker on SQLite by default, or Redis): once
with a pool of min 1 / max M that scales on latency, once fixed at M. For each it enqueues a burst of N
``sleep(c)`` jobs and samples the supervisor's ``marketjobs_supervisor_processes`` gauge every 0.2 s. It
prints, for the scaling pool, the time to scale up to M, the time the backlog took to drain, and the time
scale-down took back to min; for both, the process-seconds used from the burst until the scaling pool is
back at min (the fixed pool holds M the whole time). The last line gives the ratios: drain time vs the
fixed pool, and the process-seconds saved.

    .venv/bin/python benchmarks/autoscale.py [--jobs 200 --cost 0.2 --max 4 --broker sqlite|redis]
    .venv/bin/python benchmarks/autoscale.py --smoke      # seconds; CI runs this
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.summary import Metrics, add_json_argument, write

REDIS_URL = "redis://127.0.0.1:6379/13"
#: Seconds between samples of the processes gauge.
SAMPLE_SECONDS = 0.2


@dataclass
class Run:
    """What one supervisor run measured (seconds since the burst was sent)."""

    label: str
    reached_max: float | None
    drained: float
    back_at_min: float | None
    process_seconds: float


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gauge(url: str, pool: str) -> float | None:
    try:
        text = urllib.request.urlopen(url, timeout=2).read().decode()
    except OSError:
        return None
    match = re.search(rf'^marketjobs_supervisor_processes\{{pool="{pool}"\}} (\S+)$', text, re.M)
    return float(match.group(1)) if match else None


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"autoscale benchmark: timed out waiting for {what}")
        time.sleep(SAMPLE_SECONDS)


def _run(label: str, pool: dict[str, Any], args: argparse.Namespace, workdir: Path) -> Run:
    import dramatiq
    from sqlalchemy import func, select

    from marketjobs.config import configure, load_settings
    from marketjobs.jobs.broker import broker_from_url
    from marketjobs.store.engine import create_store_engine
    from marketjobs.store.migrate import upgrade
    from marketjobs.store.models import JobRecord

    database = f"sqlite:///{workdir / f'{label}.db'}"
    broker_url = REDIS_URL if args.broker == "redis" else database
    upgrade(database)
    port = _free_port()
    config = workdir / f"{label}.yaml"
    settings: dict[str, Any] = {
        "pools": {"bench": pool},
        "metrics_port": port,
        "supervisor_interval_seconds": 0.5,
        "heartbeat_seconds": 1,
        "log_level": "WARNING",
    }
    config.write_text(yaml.safe_dump(settings))
    env = {**os.environ, "MARKETJOBS_BROKER_URL": broker_url, "MARKETJOBS_DATABASE_URL": database,
           "MARKETJOBS_CONFIG": str(config)}  # fmt: skip
    sender_settings = load_settings(broker_url=broker_url, database_url=database)
    configure(sender_settings)
    broker = broker_from_url(broker_url, settings=sender_settings)
    broker.flush_all()
    sleep = dramatiq.actor(lambda **_: None, actor_name="sleep", queue_name="diagnostics", broker=broker)
    url = f"http://127.0.0.1:{port}/metrics"
    log = (workdir / f"{label}.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "marketjobs", "supervisor"], env=env, cwd=workdir,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    engine = create_store_engine(database)

    def completed() -> int:
        with engine.connect() as connection:
            query = select(func.count()).select_from(JobRecord).where(JobRecord.status == "completed")
            return int(connection.execute(query).scalar_one())

    try:
        _wait(lambda: (_gauge(url, "bench") or 0) >= pool["min"] and completed() >= 0, 120, "the pool")
        time.sleep(3)  # the workers boot and consume
        start = time.monotonic()
        for _ in range(args.jobs):
            sleep.send(seconds=args.cost, steps=1)
        reached = drained = back = None
        process_seconds, last = 0.0, start
        while True:
            now = time.monotonic()
            size = _gauge(url, "bench") or 0.0
            process_seconds += size * (now - last)
            last = now
            if reached is None and size >= pool["max"]:
                reached = now - start
            if drained is None and completed() >= args.jobs:
                drained = now - start
            if drained is not None and (pool["min"] == pool["max"] or size <= pool["min"]):
                back = now - start if pool["min"] != pool["max"] else None
                break
            if now - start > args.timeout:
                raise SystemExit(f"autoscale benchmark: {label} did not finish within {args.timeout} s")
            time.sleep(SAMPLE_SECONDS)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(120)
        broker.flush_all()
        broker.close()
        configure(None)
    return Run(label, reached, drained, back, process_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--cost", type=float, default=0.2, help="seconds per job")
    parser.add_argument("--max", type=int, default=4, help="processes at most (and of the fixed pool)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cooldown", type=float, default=5.0, help="scale_down_after_seconds")
    parser.add_argument("--broker", choices=["sqlite", "redis"], default="sqlite")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--smoke", action="store_true", help="a few seconds: CI checks the script runs")
    add_json_argument(parser)
    args = parser.parse_args()
    if args.smoke:
        args.jobs, args.cost, args.max, args.cooldown = 12, 0.3, 2, 1.0
    common = {"queues": ["diagnostics"], "threads": args.threads, "target_latency_seconds": 1.0}
    scaling = {**common, "min": 1, "max": args.max, "scale_down_after_seconds": args.cooldown}
    fixed = {**common, "min": args.max, "max": args.max}
    with tempfile.TemporaryDirectory(prefix="marketjobs-autoscale-") as tmp:
        auto = _run("scaling", scaling, args, Path(tmp))
        flat = _run("fixed", fixed, args, Path(tmp))
    window = auto.back_at_min or auto.drained
    fixed_seconds = args.max * window
    print(
        f"burst: {args.jobs} jobs x {args.cost} s on {args.broker}; max {args.max} x {args.threads} threads"
    )
    print(f"{'pool':<8} {'to max s':>9} {'drained s':>10} {'to min s':>9} {'process-s':>10}")
    for run, used in ((auto, auto.process_seconds), (flat, fixed_seconds)):
        to_max = f"{run.reached_max:.1f}" if run.reached_max is not None else "-"
        to_min = f"{run.back_at_min:.1f}" if run.back_at_min is not None else "-"
        print(f"{run.label:<8} {to_max:>9} {run.drained:>10.1f} {to_min:>9} {used:>10.1f}")
    scale_down = (auto.back_at_min - auto.drained) if auto.back_at_min is not None else float("nan")
    used = auto.process_seconds / fixed_seconds
    print(
        f"ratios: drain time scaling/fixed {auto.drained / flat.drained:.2f}x; process-seconds scaling/fixed "
        f"{used:.2f}x (saved {1 - used:.0%}); scale-down took {scale_down:.1f} s after the drain"
    )
    metrics = Metrics()
    metrics.lower("scaling_to_max_s", auto.reached_max)
    metrics.lower("scaling_drained_s", auto.drained)
    metrics.lower("fixed_drained_s", flat.drained)
    metrics.lower("scale_down_s", scale_down)
    metrics.lower("drain_scaling_vs_fixed_x", auto.drained / flat.drained)
    metrics.lower("process_seconds_scaling_vs_fixed_x", used)
    write(args.json, __file__, args, metrics)


if __name__ == "__main__":
    main()
