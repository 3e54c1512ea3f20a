"""What the API returns: pydantic models (they make the OpenAPI schema), built from records with every
secret redacted (:func:`marketjobs.redact.redact`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from marketjobs.redact import redact, redact_text
from marketjobs.store.models import JobRecord

__all__ = ["Job", "JobPage", "JobSummary", "job_detail", "job_summary"]


class JobSummary(BaseModel):
    """One job in a listing."""

    id: str
    job_type: str
    queue: str
    priority: str
    status: str
    attempts: int
    max_attempts: int | None
    progress: float
    progress_message: str | None
    error: str | None = Field(description="the last error, redacted")
    hostname: str | None
    pid: int | None
    created_at: int = Field(description="UTC epoch milliseconds")
    started_at: int | None
    finished_at: int | None


class Job(JobSummary):
    """One job with everything its record holds (secrets redacted)."""

    worker_id: str | None
    parameters: Any = Field(description="args and kwargs, redacted")
    options: Any = Field(description="message options, redacted")
    result: Any = Field(description="the result summary, redacted")
    traceback: str | None
    cancel_requested: bool
    idempotency_key: str | None
    retry_of: str | None = Field(description="the dead letter this job retries")
    retried_as: str | None = Field(description="the job that retried this dead letter")
    eta: int | None
    updated_at: int


class JobPage(BaseModel):
    """A page of jobs, newest first; pass ``next_cursor`` as ``cursor`` for the next page."""

    jobs: list[JobSummary]
    next_cursor: str | None


def _text(value: str | None) -> str | None:
    return None if value is None else redact_text(value)


def job_summary(record: JobRecord) -> JobSummary:
    """A listing row of ``record``."""
    return JobSummary(
        id=record.id,
        job_type=record.job_type,
        queue=record.queue,
        priority=record.priority,
        status=record.status,
        attempts=record.attempts,
        max_attempts=record.max_attempts,
        progress=record.progress,
        progress_message=_text(record.progress_message),
        error=_text(record.error),
        hostname=record.hostname,
        pid=record.pid,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
    )


def job_detail(record: JobRecord) -> Job:
    """Every field of ``record``, redacted."""
    return Job(
        **job_summary(record).model_dump(),
        worker_id=record.worker_id,
        parameters=redact(record.parameters),
        options=redact(record.options),
        result=redact(record.result),
        traceback=_text(record.traceback),
        cancel_requested=record.cancel_requested,
        idempotency_key=_text(record.idempotency_key),
        retry_of=record.retry_of,
        retried_as=record.retried_as,
        eta=record.eta,
        updated_at=record.updated_at,
    )
