"""Job throughput over time for the overview: jobs completed and failed (dead) per time bucket.

One GROUP BY over the window's finished jobs; the bucket of a row is a CASE over the bucket bounds, which
every database (SQLite, PostgreSQL, MariaDB) computes the same way in integers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, case, func, literal_column, select

from marketjobs.clock import MS_PER_SECOND
from marketjobs.constants import Status
from marketjobs.store.engine import READ_ONLY_OPTION
from marketjobs.store.models import JobRecord

__all__ = ["MAX_BUCKETS", "Bucket", "TypeStats", "by_job_type", "throughput"]

#: Most buckets one reading has.
MAX_BUCKETS = 240
#: Milliseconds in a minute.
MS_PER_MINUTE = 60 * MS_PER_SECOND


@dataclass(frozen=True)
class Bucket:
    """Jobs that finished in ``[start_ms, end_ms)``."""

    start_ms: int
    end_ms: int
    completed: int
    #: Jobs that went to dead letters.
    failed: int
    #: Finished jobs (completed + failed) per minute.
    throughput_per_minute: float
    #: failed / (completed + failed); None when none finished.
    failure_ratio: float | None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return asdict(self)


def throughput(engine: Engine, *, now_ms: int, window_ms: int, buckets: int) -> list[Bucket]:
    """``buckets`` equal buckets covering the ``window_ms`` before ``now_ms``, oldest first."""
    if not 1 <= buckets <= MAX_BUCKETS or window_ms < buckets:
        raise ValueError(f"buckets must be 1-{MAX_BUCKETS} and the window at least 1 ms per bucket")
    size = window_ms // buckets
    start = now_ms - size * buckets
    # Bounds are inlined integers (ours, not input): a bound parameter would differ between the SELECT and
    # the GROUP BY, which PostgreSQL refuses.
    index = case(
        *(
            (JobRecord.finished_at < literal_column(str(start + (n + 1) * size)), literal_column(str(n)))
            for n in range(buckets)
        ),
        else_=literal_column(str(buckets - 1)),
    ).label("bucket")
    query = (
        select(index, JobRecord.status, func.count())
        .where(
            JobRecord.finished_at >= start,
            JobRecord.finished_at < now_ms,
            JobRecord.status.in_([Status.COMPLETED.value, Status.DEAD.value]),
        )
        .group_by(index, JobRecord.status)
    )
    counts: dict[tuple[int, str], int] = {}
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        for bucket, status, count in connection.execute(query):
            counts[int(bucket), status] = int(count)
    found: list[Bucket] = []
    for n in range(buckets):
        completed = counts.get((n, Status.COMPLETED.value), 0)
        failed = counts.get((n, Status.DEAD.value), 0)
        finished = completed + failed
        found.append(
            Bucket(
                start_ms=start + n * size,
                end_ms=start + (n + 1) * size,
                completed=completed,
                failed=failed,
                throughput_per_minute=finished * MS_PER_MINUTE / size,
                failure_ratio=failed / finished if finished else None,
            )
        )
    return found


@dataclass(frozen=True)
class TypeStats:
    """Jobs of one type that finished in a window."""

    job_type: str
    completed: int
    #: Jobs that went to dead letters.
    failed: int
    #: Cancelled or skipped jobs (not counted in the failure ratio).
    cancelled: int
    #: Finished jobs (completed + failed) per minute over the window.
    throughput_per_minute: float
    #: failed / (completed + failed); None when none finished.
    failure_ratio: float | None
    #: Mean run time of the completed jobs' last attempt, in seconds; None when none completed.
    mean_seconds: float | None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return asdict(self)


def by_job_type(engine: Engine, *, now_ms: int, window_ms: int) -> list[TypeStats]:
    """Per job type, the jobs that finished in the ``window_ms`` before ``now_ms``; busiest first."""
    finished = (Status.COMPLETED, Status.DEAD, Status.CANCELLED, Status.SKIPPED)
    query = (
        select(
            JobRecord.job_type,
            JobRecord.status,
            func.count(),
            func.avg(JobRecord.finished_at - JobRecord.started_at),
        )
        .where(
            JobRecord.finished_at >= now_ms - window_ms,
            JobRecord.finished_at < now_ms,
            JobRecord.status.in_([s.value for s in finished]),
        )
        .group_by(JobRecord.job_type, JobRecord.status)
    )
    counts: dict[str, dict[str, tuple[int, float | None]]] = {}
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        for job_type, status, count, mean_ms in connection.execute(query):
            counts.setdefault(job_type, {})[status] = (
                int(count),
                None if mean_ms is None else float(mean_ms),
            )
    found: list[TypeStats] = []
    for job_type, by_status in counts.items():
        completed, mean_ms = by_status.get(Status.COMPLETED.value, (0, None))
        failed = by_status.get(Status.DEAD.value, (0, None))[0]
        cancelled = sum(by_status.get(s.value, (0, None))[0] for s in (Status.CANCELLED, Status.SKIPPED))
        ran = completed + failed
        found.append(
            TypeStats(
                job_type=job_type,
                completed=completed,
                failed=failed,
                cancelled=cancelled,
                throughput_per_minute=ran * MS_PER_MINUTE / window_ms,
                failure_ratio=failed / ran if ran else None,
                mean_seconds=None if mean_ms is None else mean_ms / MS_PER_SECOND,
            )
        )
    return sorted(found, key=lambda t: (-(t.completed + t.failed + t.cancelled), t.job_type))
