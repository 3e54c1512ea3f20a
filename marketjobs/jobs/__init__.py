"""Job records, current_job(), cancellation, dead letters, idempotency and retries on top of Dramatiq."""

from __future__ import annotations

from marketjobs.jobs.cancel import request_cancel
from marketjobs.jobs.context import JobContext, current_job
from marketjobs.jobs.dlq import list_dead_letters, purge_dead_letters, retry_dead_letter
from marketjobs.jobs.queries import count_by_status, get_job, list_jobs
from marketjobs.jobs.records import JobRecords

__all__ = [
    "JobContext",
    "JobRecords",
    "count_by_status",
    "current_job",
    "get_job",
    "list_dead_letters",
    "list_jobs",
    "purge_dead_letters",
    "request_cancel",
    "retry_dead_letter",
]
