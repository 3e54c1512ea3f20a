"""Reading job records: listing with filters and fetching one job."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from marketjobs.constants import Status
from marketjobs.errors import JobNotFoundError
from marketjobs.store.models import JobRecord

__all__ = ["count_by_status", "dead_by_queue", "get_job", "list_jobs", "oldest_pending_due_ms"]


def list_jobs(
    engine: Engine,
    *,
    status: Status | Sequence[Status] | None = None,
    job_type: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    limit: int = 50,
) -> list[JobRecord]:
    """Newest first, filtered by status, job type and creation time (``since_ms`` inclusive, ``until_ms``
    exclusive, both UTC epoch milliseconds)."""
    query = select(JobRecord).order_by(JobRecord.created_at.desc(), JobRecord.id).limit(limit)
    if status is not None:
        statuses = [status] if isinstance(status, Status) else list(status)
        query = query.where(JobRecord.status.in_([s.value for s in statuses]))
    if job_type is not None:
        query = query.where(JobRecord.job_type == job_type)
    if since_ms is not None:
        query = query.where(JobRecord.created_at >= since_ms)
    if until_ms is not None:
        query = query.where(JobRecord.created_at < until_ms)
    with Session(engine) as session:
        return list(session.scalars(query))


def get_job(engine: Engine, job_id: str) -> JobRecord:
    """The record of ``job_id``, or JobNotFoundError."""
    with Session(engine) as session:
        record = session.get(JobRecord, job_id)
    if record is None:
        raise JobNotFoundError(f"no job {job_id}; list jobs with `marketjobs jobs list`")
    return record


def count_by_status(engine: Engine) -> dict[str, int]:
    """Number of job records in each status."""
    query = select(JobRecord.status, func.count()).group_by(JobRecord.status)
    with engine.connect() as connection:
        return {status: count for status, count in connection.execute(query).all()}


def dead_by_queue(engine: Engine) -> dict[str, int]:
    """Dead job records (the dead letters ``dlq list`` shows) per queue."""
    query = (
        select(JobRecord.queue, func.count())
        .where(JobRecord.status == Status.DEAD.value)
        .group_by(JobRecord.queue)
    )
    with engine.connect() as connection:
        return {queue: int(count) for queue, count in connection.execute(query).all()}


def oldest_pending_due_ms(engine: Engine, queue: str, now_ms: int) -> int | None:
    """When the oldest job of ``queue`` still pending became due (its eta, else its creation), epoch ms;
    None when none is pending and due. The queue latency of brokers that cannot peek (RabbitMQ)."""
    due = func.coalesce(JobRecord.eta, JobRecord.created_at)
    query = select(func.min(due)).where(
        JobRecord.status == Status.PENDING.value, JobRecord.queue == queue, due <= now_ms
    )
    with Session(engine) as session:
        value = session.execute(query).scalar()
    return None if value is None else int(value)
