"""Technical analysis of a whole universe, end to end: marketjobs vs the per-symbol baseline of today.

One run on this machine. SYMBOLS x BARS synthetic daily bars go into a SQLite file that is both the broker
(the SQL broker) and the store. Then, for each mode, 2 worker processes (``dramatiq
benchmarks.universe_actors -p 2 -t 2``, the same for both modes) are started and, once both answer a
probe, the work is sent and timed until every job is done:

- marketjobs: one ``technical_analysis`` message for the universe (12 indicators, all 25 patterns,
  snapshots upserted and the signal events of each symbol's last 5 bars stored, a daily run;
  ``--signal-bars 0`` stores those of every bar, as a first analysis of a universe would: about 4,500 per
  symbol on these bars, which the baseline writes one by one), which fans out into chunks (a Dramatiq
  group) and ends when the group's completion callback has finished.
- baseline: one message per symbol: ``pandas.read_sql`` of its bars, TA-Lib calls, the same signals found
  with numpy, the snapshot and each signal written row by row.

Prints the times, the rows each mode wrote (the same counts: a cross-check), the workers' peak RSS (psutil,
sampled every 50 ms), and the speed-up last.

    .venv/bin/python benchmarks/universe.py [--symbols 2000 --bars 2520 --json var/bench/universe.json]
    .venv/bin/python benchmarks/universe.py --smoke      # 20 x 300 bars in chunks of 5: seconds; CI runs this
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bar_loading import synthetic_bars  # noqa: E402
from benchmarks.summary import Metrics, add_json_argument, write  # noqa: E402
from marketjobs.store.bars_io import upsert_bars  # noqa: E402
from marketjobs.store.engine import create_store_engine  # noqa: E402
from marketjobs.store.migrate import upgrade  # noqa: E402

#: Where a full run keeps its store and the workers' logs (the smoke run uses a temporary directory).
DEFAULT_DIR = Path("/tmp/marketjobs-universe")


@dataclass
class Run:
    mode: str
    seconds: float
    snapshots: int
    signals: int
    peak_rss_mb: float


class RssSampler(threading.Thread):
    """Peak resident memory of each process under ``pid`` (the dramatiq parent and its workers)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peaks: dict[int, int] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for process in processes:
                try:
                    rss = process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                self.peaks[process.pid] = max(self.peaks.get(process.pid, 0), rss)

    def worker_peak_mb(self) -> float:
        """The largest peak among the worker processes (the children), in MB."""
        workers = [rss for pid, rss in self.peaks.items() if pid != self.root.pid]
        return max(workers or [0]) / 1e6


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def _completed(engine: Engine, job_type: str) -> int:
    return _count(
        engine, f"SELECT COUNT(*) FROM job_records WHERE job_type = '{job_type}' AND status = 'completed'"
    )


def _wait(predicate: Any, what: str, timeout: float = 7200.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(0.05)


def _start_workers(
    env: dict[str, str], processes: int, threads: int, queue: str, log: Path
) -> subprocess.Popen[bytes]:
    """Worker processes logging to ``log`` (a pipe nobody reads would fill and block them)."""
    argv = [sys.executable, "-m", "dramatiq", "benchmarks.universe_actors", "-p", str(processes)]
    argv += ["-t", str(threads), "--queues", queue]
    with log.open("ab") as output:
        return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


def _stop(workers: subprocess.Popen[bytes]) -> None:
    workers.send_signal(signal.SIGTERM)
    try:
        workers.wait(timeout=60)
    except subprocess.TimeoutExpired:
        workers.kill()
        workers.wait()


def _ready(engine: Engine, probe: Any, job_type: str, processes: int) -> None:
    """Sends probes until every worker process has run one (each pid seen in the records)."""
    sql = (
        f"SELECT COUNT(DISTINCT pid) FROM job_records WHERE job_type = '{job_type}' AND status = 'completed'"
    )
    deadline = time.monotonic() + 120
    while _count(engine, sql) < processes:
        if time.monotonic() > deadline:
            raise SystemExit(f"workers did not start within 120 s ({job_type})")
        for _ in range(8):
            probe.send()
        time.sleep(0.3)


def run_mode(mode: str, args: argparse.Namespace, env: dict[str, str], engine: Engine, work: Path) -> Run:
    os.environ.update(env)
    from benchmarks import universe_actors as worker_module

    with engine.begin() as connection:
        connection.execute(text("DELETE FROM signals"))
        connection.execute(text("DELETE FROM indicator_snapshots"))
    queue = "analysis" if mode == "marketjobs" else worker_module.QUEUE
    workers = _start_workers(env, args.processes, args.threads, queue, work / f"workers-{mode}.log")
    sampler = RssSampler(workers.pid)
    sampler.start()
    try:
        if mode == "marketjobs":
            _ready(engine, worker_module.universe_ping_analysis, "universe_ping_analysis", args.processes)
        else:
            _ready(engine, worker_module.universe_ping, "universe_ping", args.processes)
        symbols = [f"S{i:05d}" for i in range(args.symbols)]
        started = time.perf_counter()
        if mode == "marketjobs":
            from actors.technical_analysis import technical_analysis

            message = technical_analysis.send(
                symbols="all",
                patterns="all",
                chunk_size=args.chunk_size,
                signal_bars=args.signal_bars or None,
            )
            callback: list[str] = []

            def finished() -> bool:
                from marketjobs.jobs import get_job

                if not callback:
                    try:
                        record = get_job(engine, message.message_id)
                    except Exception:
                        return False
                    if record.status != "completed":
                        return False
                    if "callback" not in record.result:
                        return True  # a universe of one chunk runs in the job itself
                    callback.append(record.result["callback"])
                try:
                    return get_job(engine, callback[0]).status == "completed"
                except Exception:
                    return False

            _wait(finished, "the technical_analysis callback")
        else:
            for symbol in symbols:
                worker_module.universe_baseline.send(symbol, args.signal_bars or None)
            _wait(lambda: _completed(engine, "universe_baseline") >= len(symbols), "the baseline jobs")
        seconds = time.perf_counter() - started
    finally:
        sampler.done.set()
        sampler.join()
        _stop(workers)
    return Run(
        mode,
        seconds,
        _count(engine, "SELECT COUNT(*) FROM indicator_snapshots"),
        _count(engine, "SELECT COUNT(*) FROM signals"),
        sampler.worker_peak_mb(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--symbols", type=int, default=2000)
    parser.add_argument("--bars", type=int, default=2520)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=50)
    parser.add_argument(
        "--signal-bars",
        type=int,
        default=5,
        help="store the signals of each symbol's last N bars (a daily run); 0: every bar analysed",
    )
    parser.add_argument("--dir", type=Path, help=f"store and worker logs (default {DEFAULT_DIR})")
    parser.add_argument("--smoke", action="store_true", help="20 symbols x 300 bars, chunks of 5: seconds")
    add_json_argument(parser)
    args = parser.parse_args()
    if args.smoke:
        args.symbols, args.bars, args.chunk_size = 20, 300, 5
    temporary = tempfile.TemporaryDirectory(prefix="marketjobs-universe-") if args.smoke else None
    work = args.dir or (Path(temporary.name) if temporary else DEFAULT_DIR)
    try:
        runs = _run(args, work)
    finally:
        if temporary is not None:
            temporary.cleanup()
    print(f"{'mode':<11} {'seconds':>9} {'snapshots':>10} {'signals':>8} {'worker peak RSS':>16}")
    for run in runs:
        print(
            f"{run.mode:<11} {run.seconds:>9.1f} {run.snapshots:>10,} {run.signals:>8,} "
            f"{run.peak_rss_mb:>13.0f} MB"
        )
    ours, baseline = runs
    print(
        f"ratios: universe {args.symbols}x{args.bars}, {args.processes} workers: marketjobs "
        f"{ours.seconds:.1f} s vs baseline {baseline.seconds:.1f} s = {baseline.seconds / ours.seconds:.2f}x "
        f"faster (target 3x); "
        f"worker peak RSS {ours.peak_rss_mb:.0f} MB (target 500 MB)"
    )
    metrics = Metrics()
    for run in runs:
        metrics.lower(f"{run.mode}_s", run.seconds)
        metrics.lower(f"{run.mode}_worker_peak_rss_mb", run.peak_rss_mb)
    metrics.higher("speedup_vs_baseline_x", baseline.seconds / ours.seconds)
    write(args.json, __file__, args, metrics)


def _run(args: argparse.Namespace, work: Path) -> list[Run]:
    """Stores the bars in a new store under ``work``, then runs both modes."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    url = f"sqlite:///{work / 'store.db'}"
    env = {**os.environ, "MARKETJOBS_BROKER_URL": url, "MARKETJOBS_DATABASE_URL": url}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    upgrade(url)
    engine = create_store_engine(url)
    started = time.perf_counter()
    upsert_bars(engine, synthetic_bars(args.symbols, args.bars), source="synthetic")
    print(f"stored {args.symbols:,} x {args.bars:,} bars in {time.perf_counter() - started:.1f} s ({url})")
    runs = [run_mode(mode, args, env, engine, work) for mode in ("marketjobs", "baseline")]
    engine.dispose()
    return runs


if __name__ == "__main__":
    main()
