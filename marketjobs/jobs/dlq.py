"""Dead letters: jobs that failed for good, kept with their message so they can be listed, retried, purged.

The job store is the source of truth; Dramatiq's brokers also keep their own dead-letter copies for
their ``dead_message_ttl`` (Redis, RabbitMQ), which ``purge`` leaves to that TTL.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from typing import Any

import dramatiq
from dramatiq import Message
from sqlalchemy import Engine, delete, update

from marketjobs.clock import MS_PER_SECOND, now_ms
from marketjobs.constants import MESSAGE_OPTION_RETRY_OF, Status
from marketjobs.errors import JobNotFoundError, JobStateError
from marketjobs.jobs.bulk_send import enqueue_all
from marketjobs.jobs.queries import get_job, list_jobs
from marketjobs.store.models import JobRecord

__all__ = [
    "RETRYABLE_STATUSES",
    "claim_retry",
    "list_dead_letters",
    "purge_dead_letters",
    "release_retries",
    "retry_dead_letter",
    "retry_job",
    "send_retries",
]

#: Statuses a job can be retried from: it failed for good or was stopped before it ran to the end.
RETRYABLE_STATUSES = frozenset({Status.DEAD, Status.CANCELLED, Status.SKIPPED})
#: Message options a retried dead letter starts without.
_RESET_OPTIONS = frozenset(
    {"retries", "traceback", "eta", "requeue_timestamp", "redis_message_id", "broker_priority"}
)


def list_dead_letters(engine: Engine, *, job_type: str | None = None, limit: int = 100) -> list[JobRecord]:
    """Dead jobs, newest first."""
    return list_jobs(engine, status=Status.DEAD, job_type=job_type, limit=limit)


def retry_dead_letter(engine: Engine, broker: dramatiq.Broker, job_id: str) -> str:
    """Re-enqueues dead job ``job_id`` as a new job with the same parameters; returns the new id.

    The new job's record links back through ``retry_of``; the dead one points to it through ``retried_as``.
    """
    return retry_job(engine, broker, job_id, statuses=(Status.DEAD,))


def retry_job(
    engine: Engine,
    broker: dramatiq.Broker,
    job_id: str,
    *,
    statuses: Collection[Status] = RETRYABLE_STATUSES,
) -> str:
    """Re-enqueues job ``job_id`` (in one of ``statuses``) as a new linked job; returns the new id."""
    message = claim_retry(engine, job_id, statuses=statuses)
    send_retries(engine, broker, {job_id: message})
    return message.message_id


def claim_retry(
    engine: Engine, job_id: str, *, statuses: Collection[Status] = RETRYABLE_STATUSES
) -> Message[Any]:
    """The message that retries job ``job_id``, its id already stored as the job's ``retried_as`` (so no
    one else retries it); :func:`send_retries` sends it, or gives the claim back."""
    record = get_job(engine, job_id)
    if record.status not in {s.value for s in statuses}:
        if set(statuses) == {Status.DEAD}:
            raise JobStateError(
                f"job {job_id} is {record.status}, not dead; only dead letters can be retried"
            )
        allowed = ", ".join(sorted(s.value for s in statuses))
        raise JobStateError(f"job {job_id} is {record.status}; only jobs that are {allowed} can be retried")
    if record.retried_as:
        raise JobStateError(f"job {job_id} was already retried as job {record.retried_as}")
    parameters = record.parameters
    if parameters is None:
        raise JobNotFoundError(f"job {job_id} has no stored parameters to retry")
    options = {k: v for k, v in (record.options or {}).items() if k not in _RESET_OPTIONS}
    options[MESSAGE_OPTION_RETRY_OF] = job_id
    message: Message[Any] = Message(
        queue_name=record.queue,
        actor_name=record.job_type,
        args=tuple(parameters.get("args", ())),
        kwargs=parameters.get("kwargs", {}),
        options=options,
    )
    with engine.begin() as connection:
        claimed = connection.execute(
            update(JobRecord)
            .where(JobRecord.id == job_id, JobRecord.retried_as.is_(None))
            .values(retried_as=message.message_id, updated_at=now_ms())
        ).rowcount
    if claimed != 1:
        raise JobStateError(f"job {job_id} is being retried by someone else")
    return message


def send_retries(engine: Engine, broker: dramatiq.Broker, claimed: Mapping[str, Message[Any]]) -> None:
    """Sends the retries :func:`claim_retry` made (job id -> message); all in one transaction where the
    broker can (:func:`~marketjobs.jobs.bulk_send.enqueue_all`). When sending fails, the jobs not sent
    are free to be retried again and the error is raised."""
    items = list(claimed.items())
    batches = [items] if hasattr(broker, "enqueue_many") else [[item] for item in items]
    for number, batch in enumerate(batches):
        try:
            for queue_name in dict.fromkeys(message.queue_name for _, message in batch):
                broker.declare_queue(queue_name)
            enqueue_all(broker, [message for _, message in batch])
        except Exception:
            release_retries(engine, [job_id for rest in batches[number:] for job_id, _ in rest])
            raise


def release_retries(engine: Engine, ids: Sequence[str]) -> None:
    """Gives back the retry claims of ``ids`` (made by :func:`claim_retry`, never sent)."""
    if ids:
        with engine.begin() as connection:
            connection.execute(update(JobRecord).where(JobRecord.id.in_(list(ids))).values(retried_as=None))


def purge_dead_letters(
    engine: Engine,
    *,
    older_than: timedelta | None = None,
    job_types: Sequence[str] | None = None,
    ids: Sequence[str] | None = None,
) -> int:
    """Deletes dead-letter records (all, or older than / of types / ids given); returns how many."""
    query = delete(JobRecord).where(JobRecord.status == Status.DEAD.value)
    if older_than is not None:
        cutoff_ms = now_ms() - int(older_than.total_seconds() * MS_PER_SECOND)
        query = query.where(JobRecord.updated_at < cutoff_ms)
    if job_types:
        query = query.where(JobRecord.job_type.in_(list(job_types)))
    if ids:
        query = query.where(JobRecord.id.in_(list(ids)))
    with engine.begin() as connection:
        return int(connection.execute(query).rowcount)
