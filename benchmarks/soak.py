"""Soak: the whole stack under mixed load for a long time; fails when any process grows without bound.

Starts ``marketjobs up`` (the supervisor with its worker pools, the scheduler, the exporter and the API) on
a fresh SQLite store in a temporary directory, then keeps it busy: every few seconds a mix of every job
type (price updates, technical analysis, alerts with rules that fire, portfolio analysis, maintenance,
diagnostic no-ops, sleeps and failures that end as dead letters), API listings and metric scrapes, while
the scheduler's default schedules tick. Every ``--sample`` seconds it reads each process of the stack
(``up`` and its descendants, by pid): resident memory, open files and threads.

A process grows without bound when, between the middle and the last third of the run (the first third is
warm-up), its median RSS grows by more than ``--rss-growth`` (fraction) and more than 20 MiB, or its open
files or threads keep rising (the last third's minimum is above the middle third's maximum). The table
shows each process; the last line gives the ratios and the verdict; the exit code is 1 on growth.

    .venv/bin/python benchmarks/soak.py [--minutes 30]
    .venv/bin/python benchmarks/soak.py --smoke     # about 40 s; CI runs this
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.summary import Metrics, add_json_argument, write

#: MiB the median RSS must also grow by (last third vs middle third) to count as unbounded growth.
MIN_RSS_GROWTH_MIB = 20.0


@dataclass
class Samples:
    """What was read of one process over the run."""

    name: str
    times: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    files: list[int] = field(default_factory=list)
    threads: list[int] = field(default_factory=list)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _role(process: psutil.Process) -> str:
    """up, supervisor, scheduler, exporter, api, dramatiq (a worker's main process) or worker."""
    try:
        text = " ".join(process.cmdline())
        parent = " ".join(process.parent().cmdline()) if process.parent() else ""
    except psutil.Error:
        return "?"
    for role in ("supervisor", "scheduler", "exporter", "api", "up"):
        if f"marketjobs {role}" in text:
            return role
    if "dramatiq" in text:
        return "worker" if "dramatiq" in parent else "dramatiq"
    return process.name()


def _sample(root: psutil.Process, found: dict[int, Samples], start: float) -> None:
    try:
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return
    now = time.monotonic() - start
    for process in processes:
        try:
            with process.oneshot():
                rss, files, threads = process.memory_info().rss, process.num_fds(), process.num_threads()
        except psutil.Error:
            continue
        entry = found.setdefault(process.pid, Samples(f"{_role(process)}:{process.pid}"))
        entry.times.append(now)
        entry.rss.append(rss / 2**20)
        entry.files.append(files)
        entry.threads.append(threads)


def _thirds(values: list[Any]) -> tuple[list[Any], list[Any]]:
    third = len(values) // 3
    return values[third : 2 * third], values[2 * third :]


def _verdict(entry: Samples, rss_growth: float) -> tuple[float, str]:
    middle, last = _thirds(entry.rss)
    if len(middle) < 2 or len(last) < 2:
        return 0.0, "short-lived"
    before, after = statistics.median(middle), statistics.median(last)
    growth = (after - before) / before if before else 0.0
    problems = []
    if growth > rss_growth and after - before > MIN_RSS_GROWTH_MIB:
        problems.append(f"RSS +{growth:.0%}")
    for label, series in (("files", entry.files), ("threads", entry.threads)):
        mid, end = _thirds(series)
        if min(end) > max(mid):
            problems.append(f"{label} rising")
    return growth, ", ".join(problems) or "steady"


def _load(env: dict[str, str], work: Path, api: str, token: str, metrics: list[str], rounds: int) -> None:
    """One round of mixed load, sent from a child process (its broker is the stack's)."""
    script = f"""
import random
import actors
from actors.price_update import price_update
from actors.technical_analysis import technical_analysis
from actors.alerts import alerts
from actors.portfolio_analysis import portfolio_analysis
from actors.maintenance import maintenance
from actors.diagnostics import noop, sleep, fail
symbols = [f"S{{i:02d}}" for i in range(20)]
for _ in range({rounds}):
    price_update.send(source="synthetic", symbols=random.sample(symbols, 5))
    technical_analysis.send(symbols=random.sample(symbols, 5), chunk_size=5)
    alerts.send()
    portfolio_analysis.send(positions=[{{"symbol": s, "quantity": 10}} for s in symbols[:3]], benchmark="")
    for _ in range(10):
        noop.send()
    sleep.send(seconds=0.2, steps=2)
    fail.send(reason="soak: an expected failure")
maintenance.send(task="cleanup")
"""
    sent = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=work, capture_output=True, text=True, timeout=120
    )
    if sent.returncode != 0:
        raise RuntimeError(f"sending a round of load failed (exit {sent.returncode}):\n{sent.stderr[-3000:]}")
    for url in (_authorized(f"{api}/api/jobs?limit=100", token), *metrics):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=10).read()


def _authorized(url: str, token: str) -> urllib.request.Request:
    return urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--load-every", type=float, default=5.0, help="seconds between rounds of load")
    parser.add_argument("--rss-growth", type=float, default=0.25, help="median RSS growth that fails")
    parser.add_argument("--smoke", action="store_true", help="about 40 s: CI checks the script runs")
    add_json_argument(parser)
    args = parser.parse_args()
    if args.smoke:
        args.minutes, args.sample, args.load_every = 0.6, 2.0, 3.0
    from interfaces.api.auth import hash_token, new_token

    token = new_token()
    with tempfile.TemporaryDirectory(prefix="marketjobs-soak-") as tmp:
        work = Path(tmp)
        metrics_port, exporter_port, api_port = _free_port(), _free_port(), _free_port()
        settings: dict[str, Any] = {
            "pools": {"default": {"min": 2, "max": 3, "threads": 4}},
            "metrics_port": metrics_port,
            "api_port": api_port,
            "api_tokens": [{"name": "soak", "role": "operator", "sha256": hash_token(token)}],
            "log_level": "WARNING",
        }
        (work / "marketjobs.yaml").write_text(yaml.safe_dump(settings))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETJOBS_", "PROMETHEUS_"))}
        env["MARKETJOBS_CONFIG"] = str(work / "marketjobs.yaml")
        log = (work / "up.log").open("wb")
        up = subprocess.Popen(
            [sys.executable, "-m", "marketjobs", "up", "--exporter-port", str(exporter_port)],
            cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        api = f"http://127.0.0.1:{api_port}"
        metrics = [f"http://127.0.0.1:{metrics_port}/metrics", f"http://127.0.0.1:{exporter_port}/metrics"]
        found: dict[int, Samples] = {}
        root = psutil.Process(up.pid)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"{api}/healthz", timeout=2).read()
                    break
                except OSError:
                    if up.poll() is not None:
                        output = (work / "up.log").read_text()[-3000:]
                        raise SystemExit(f"soak: marketjobs up exited:\n{output}") from None
                    time.sleep(1)
            start = time.monotonic()
            end = start + args.minutes * 60
            next_sample = next_load = start
            rounds = 0
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_load:
                    _load(env, work, api, token, metrics, rounds=2)
                    rounds += 1
                    next_load = now + args.load_every
                if now >= next_sample:
                    _sample(root, found, start)
                    next_sample = now + args.sample
                if up.poll() is not None:
                    raise SystemExit(f"soak: marketjobs up died:\n{(work / 'up.log').read_text()[-3000:]}")
                time.sleep(0.2)
            jobs = json.loads(
                urllib.request.urlopen(
                    urllib.request.Request(
                        f"{api}/api/jobs?limit=1", headers={"Authorization": f"Bearer {token}"}
                    ),
                    timeout=10,
                ).read()
            )
        finally:
            os.killpg(up.pid, signal.SIGTERM)
            up.wait(300)
        print(f"soak: {args.minutes:g} min, {rounds} load rounds, {len(found)} processes sampled; "
              f"api answered: {bool(jobs.get('jobs'))}")  # fmt: skip
        header = (
            f"{'process':<22} {'samples':>7} {'RSS MiB first/mid/last':>24} {'files':>11} {'threads':>11}"
        )
        print(f"{header}  verdict")
        worst, failing = 0.0, []
        for entry in sorted(found.values(), key=lambda e: e.name):
            growth, verdict = _verdict(entry, args.rss_growth)
            middle, last = _thirds(entry.rss)
            mid = statistics.median(middle) if middle else float("nan")
            fin = statistics.median(last) if last else float("nan")
            files = f"{min(entry.files):>5}-{max(entry.files):<5}"
            threads = f"{min(entry.threads):>5}-{max(entry.threads):<5}"
            rss = f"{entry.rss[0]:>8.0f}/{mid:>6.0f}/{fin:>6.0f}"
            print(f"{entry.name:<22} {len(entry.rss):>7} {rss} {files} {threads}  {verdict}")
            if verdict not in ("steady", "short-lived"):
                failing.append(entry.name)
            worst = max(worst, growth)
        print(
            f"ratios: worst median RSS growth {worst:+.0%} (limit {args.rss_growth:+.0%}); "
            f"{'FAIL: ' + ', '.join(failing) if failing else 'no process grew without bound'}"
        )
        measured = Metrics()
        measured.lower("worst_median_rss_growth", worst)
        measured.lower("processes_growing", len(failing))
        write(args.json, __file__, args, measured)
        if failing and not args.smoke:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
