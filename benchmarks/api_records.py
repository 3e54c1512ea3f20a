"""Synthetic job records for benchmarks/api.py: a month of a busy deployment, built and loaded set-based.

Six job types in realistic shares, each on its own queue (a few on a shared ``bulk`` queue) with its default
priority (some overridden), mostly completed; dead, cancelled and skipped ones spread over the month; pending,
running and retrying ones mostly within the last hour (plus a few stuck ones). Parameters name symbols drawn
with Zipf-like popularity (AAPL the most popular), eight worker hosts whose pids change daily, errors and
tracebacks on failures. Columns are vectorised with numpy and Polars; JSON documents come from small pools.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import polars as pl
from sqlalchemy import Engine, Table

from marketjobs.clock import MS_PER_SECOND
from marketjobs.store.bulk import write_frame
from marketjobs.store.maintenance import vacuum
from marketjobs.store.models import JobRecord

__all__ = ["DAYS", "HOSTS", "Dataset", "load", "synthetic_records"]

#: Days of history the records span, ending at the dataset's ``now_ms``.
DAYS = 30
MS_PER_DAY = 86_400 * MS_PER_SECOND
#: job type -> (share of jobs, default priority)
JOB_TYPES = {
    "technical_analysis": (0.40, "normal"),
    "price_update": (0.30, "high"),
    "alerts": (0.15, "high"),
    "portfolio_analysis": (0.07, "normal"),
    "data_import": (0.05, "low"),
    "maintenance": (0.03, "low"),
}
#: Final statuses of jobs older than the in-flight window, and their shares.
SETTLED = {
    "completed": 0.955,
    "dead": 0.02,
    "cancelled": 0.01,
    "skipped": 0.013,
    "running": 0.001,
    "pending": 0.001,
}
#: Statuses of jobs created within the in-flight window (the last hour).
RECENT = {"completed": 0.55, "running": 0.15, "pending": 0.25, "retrying": 0.03, "dead": 0.02}
IN_FLIGHT_MS = 3_600 * MS_PER_SECOND
HOSTS = tuple(f"mj-worker-{n:02d}.prod.internal" for n in range(1, 9))
THREADS = 8
#: Share of jobs sent with a priority other than their type's default.
PRIORITY_OVERRIDE = 0.1
_PRIORITIES = ("critical", "high", "normal", "low")
_TICKERS = "AAPL MSFT NVDA AMZN GOOGL META TSLA BRK.B JPM V UNH XOM JNJ WMT MA PG AVGO HD CVX MRK ABBV KO"
#: 500 symbols, most popular first.
SYMBOLS = [*_TICKERS.split(), *(f"X{n:03d}" for n in range(478))]
#: job type -> the errors its failures show ({s}: a symbol, {n}: a number)
ERRORS = {
    "technical_analysis": [
        "TimeLimitExceeded: technical_analysis ran past its 300000 ms time limit",
        "StoreError: no stored bars for {s}; run price_update first",
    ],
    "price_update": [
        "SourceError: http source https://quotes.example/v1/bars timed out after 30 s for {s}",
        "SourceError: http source answered 429 Too Many Requests for {s}; retry later",
    ],
    "alerts": ["NotifyError: webhook https://hooks.example/alerts answered 502 Bad Gateway"],
    "portfolio_analysis": ["PortfolioError: portfolio 'growth-{n}' holds {s}, which has no bars"],
    "data_import": ["ValidationError: 3 rows rejected in /data/incoming/{s}.csv.gz: high < low"],
    "maintenance": ["OperationalError: database is locked (retention of job_records)"],
}
#: Distinct parameter documents (and error texts) per job type that rows draw from.
POOL = 2_000


@dataclass(frozen=True)
class Dataset:
    """The records, newest first, and the time they end at."""

    frame: pl.DataFrame
    now_ms: int

    @property
    def height(self) -> int:
        return self.frame.height


def _parameters(job_type: str, rng: np.random.Generator) -> list[str]:
    """``POOL`` parameter documents ({"args": [], "kwargs": {...}}) of ``job_type``."""
    popularity = 1.0 / np.arange(1, len(SYMBOLS) + 1) ** 0.7
    drawn = rng.choice(len(SYMBOLS), size=(POOL, 6), p=popularity / popularity.sum())
    sizes = rng.integers(1, 7, POOL)
    docs = []
    for n in range(POOL):
        some = [SYMBOLS[i] for i in dict.fromkeys(drawn[n, : sizes[n]].tolist())]
        by_type: dict[str, dict[str, Any]] = {
            "technical_analysis": {
                "symbols": some if n % 10 else "all",
                "indicators": ["RSI_14", "MACD_12_26_9", "BBANDS_20_2"][: 1 + n % 3],
                "lookback_bars": 500,
            },
            "price_update": {
                "symbols": some,
                "source": "http",
                "options": {"base_url": "https://quotes.example"},
            },
            "alerts": {"symbols": some[:3]} if n % 4 else {"rule_ids": [n % 40 + 1]},
            "portfolio_analysis": {"portfolio": f"growth-{n % 12}", "benchmark": "SPY"},
            "data_import": {"path": f"/data/incoming/{some[0]}.csv.gz", "chunk_rows": 100_000},
            "maintenance": {"tasks": ["retention", "vacuum"], "dry_run": n % 7 == 0},
        }
        docs.append(json.dumps({"args": [], "kwargs": by_type[job_type]}, separators=(",", ":")))
    return docs


def _errors(job_type: str) -> list[str]:
    """``POOL`` error texts of ``job_type``."""
    templates = ERRORS[job_type]
    return [templates[n % len(templates)].format(s=SYMBOLS[n % 60], n=n % 12) for n in range(POOL)]


def _draw(rng: np.random.Generator, shares: Sequence[float], size: int) -> np.ndarray[Any, Any]:
    """``size`` codes 0..len(shares)-1 drawn with those shares."""
    p = np.asarray(shares, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def _uuids(rng: np.random.Generator, rows: int) -> pl.Series:
    """Random version-4 UUID strings, like Dramatiq's message ids."""
    hex32 = np.frombuffer(rng.bytes(16 * rows).hex().encode(), dtype="S32")
    h = pl.col("hex")
    parts = [h.str.slice(0, 8), h.str.slice(8, 4), "4" + h.str.slice(13, 3), "a" + h.str.slice(17, 3)]
    uuid = pl.concat_str([*parts, h.str.slice(20, 12)], separator="-")
    return pl.DataFrame({"hex": hex32}).select(h.cast(pl.String)).select(uuid).to_series()


def _columns(rng: np.random.Generator, rows: int, now: int) -> pl.DataFrame:
    """The drawn columns: ids, kinds, statuses, worker, documents and times (some still to be derived)."""
    created = np.sort(rng.integers(now - DAYS * MS_PER_DAY, now, rows))[::-1]
    types = list(JOB_TYPES)
    job_type = _draw(rng, [share for share, _ in JOB_TYPES.values()], rows)
    queue = np.where(rng.random(rows) < 0.05, len(types), job_type)  # code len(types): "bulk"
    priorities = list(_PRIORITIES)
    default = np.array([priorities.index(p) for _, p in JOB_TYPES.values()])[job_type]
    priority = np.where(rng.random(rows) < PRIORITY_OVERRIDE, _draw(rng, [2, 3, 3, 2], rows), default)
    statuses = list(dict.fromkeys([*SETTLED, *RECENT]))
    status = np.where(
        created >= now - IN_FLIGHT_MS,
        _draw(rng, [RECENT.get(s, 0.0) for s in statuses], rows),
        _draw(rng, [SETTLED.get(s, 0.0) for s in statuses], rows),
    )
    host = rng.integers(0, len(HOSTS), rows)
    pid_of_day = rng.integers(1_000, 4_000_000, (len(HOSTS), DAYS + 1))  # a worker restarts daily
    document = job_type * POOL + rng.integers(0, POOL, rows)
    return pl.DataFrame(
        {
            "id": _uuids(rng, rows),
            "job_type": pl.Series(types).gather(job_type),
            "queue": pl.Series([*types, "bulk"]).gather(queue),
            "priority": pl.Series(priorities).gather(priority),
            "status": pl.Series(statuses).gather(status),
            "host": pl.Series(HOSTS).gather(host),
            "pid": pid_of_day[host, (now - created) // MS_PER_DAY],
            "thread": rng.integers(0, THREADS, rows),
            "parameters": pl.Series([d for t in types for d in _parameters(t, rng)]).gather(document),
            "error": pl.Series([e for t in types for e in _errors(t)]).gather(document),
            "created_at": created,
            "start_delay": rng.integers(5, 20_000, rows),
            "run_time": rng.exponential(4_000, rows).astype(np.int64),
        }
    )


def synthetic_records(rows: int, *, seed: int = 16, now_ms: int | None = None) -> Dataset:
    """``rows`` job records over the ``DAYS`` days before ``now_ms``, in the job_records columns."""
    rng = np.random.default_rng(seed)
    now = int(time.time() * MS_PER_SECOND) if now_ms is None else now_ms
    status = pl.col("status")
    worked = status != "pending"
    failed = status.is_in(["dead", "retrying"])
    attempts = (
        pl.when(status == "dead").then(4).when(status == "retrying").then(2).when(worked).then(1).otherwise(0)
    )
    rank = pl.when(~worked).then(0).when(status == "running").then(1).when(status == "retrying").then(2)
    started = pl.when(worked).then(pl.col("created_at") + pl.col("start_delay"))
    finished = pl.when(status.is_in(["completed", "dead", "cancelled", "skipped"])).then(
        started + pl.col("run_time")
    )
    traceback = 'Traceback (most recent call last):\n  File "marketjobs/jobs/run.py", line 88\n{}'
    none = pl.lit(None, dtype=pl.String)
    frame = _columns(rng, rows, now).select(
        "id",
        "job_type",
        "queue",
        "priority",
        "status",
        (attempts * 4 + rank.otherwise(3)).cast(pl.Int32).alias("seq"),
        attempts.cast(pl.Int32).alias("attempts"),
        pl.lit(4, dtype=pl.Int32).alias("max_attempts"),
        pl.when(worked).then(pl.format("{}:{}:Thread-{}", "host", "pid", "thread")).alias("worker_id"),
        pl.when(worked).then("host").alias("hostname"),
        pl.when(worked).then("pid").alias("pid"),
        "parameters",
        pl.lit('{"max_retries":3}').alias("options"),
        pl.when(status == "completed")
        .then(pl.format('{{"symbols":{},"signals":{}}}', pl.col("pid") % 20, "thread"))
        .alias("result"),
        pl.when(status == "completed")
        .then(100.0)
        .when(status == "running")
        .then(40.0)
        .otherwise(0.0)
        .alias("progress"),
        none.alias("progress_message"),
        pl.when(failed).then("error").alias("error"),
        pl.when(failed).then(pl.format(traceback, "error")).alias("traceback"),
        pl.lit(False).alias("cancel_requested"),
        *(none.alias(c) for c in ("idempotency_key", "retry_of", "retried_as")),
        pl.lit(None, dtype=pl.Int64).alias("eta"),
        "created_at",
        started.alias("started_at"),
        finished.alias("finished_at"),
        pl.coalesce(finished, started, "created_at").alias("updated_at"),
    )
    return Dataset(frame=frame, now_ms=now)


#: Rows per set-based write: one executemany batch on SQLite, one COPY + INSERT ... SELECT on PostgreSQL.
LOAD_CHUNK_ROWS = 100_000


def load(engine: Engine, dataset: Dataset) -> float:
    """Writes the records into the (migrated, empty) store and refreshes its statistics; returns seconds.

    The table's secondary indexes are dropped for the load and built again after it (sorted builds beat
    a million random inserts into each, about 2x here); they are the model's, which the migrations match.
    """
    started = time.perf_counter()
    indexes = cast(Table, JobRecord.__table__).indexes
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA cache_size=-262144")  # this engine is the loader's own
        for index in indexes:
            index.drop(connection)
        for offset in range(0, dataset.height, LOAD_CHUNK_ROWS):
            chunk = dataset.frame.slice(offset, LOAD_CHUNK_ROWS)
            write_frame(connection, "job_records", chunk, ["id"], update=False)
        for index in indexes:
            index.create(connection)
    # The statistics the maintenance job keeps (SQLite: ANALYZE alone, the fresh file needs no VACUUM).
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        vacuum(engine, ["job_records"])
    return time.perf_counter() - started
