"""Query parameters of job listings and bulk actions, checked (a bad filter is a 422, never a 500)."""

from __future__ import annotations

import base64
import binascii
import dataclasses
from typing import Annotated

from fastapi import HTTPException, Query

from marketjobs.clock import now_ms
from marketjobs.constants import Priority, Status
from marketjobs.store.job_search import Cursor, JobFilter

__all__ = [
    "MAX_PAGE",
    "dead_letter_filter",
    "decode_cursor",
    "encode_cursor",
    "job_filter",
]

#: Most jobs one page returns.
MAX_PAGE = 500
#: Latest time a filter may name (year 9999), epoch ms: larger values are refused, not overflowed.
MAX_TIME_MS = 253_402_300_799_999
#: Oldest age a filter may name (ten years), hours.
MAX_AGE_HOURS = 87_600
#: Milliseconds in an hour.
MS_PER_HOUR = 3_600_000


Statuses = Annotated[list[Status] | None, Query(description="one or more job statuses")]
JobTypes = Annotated[list[str] | None, Query(max_length=128, description="job types (actor names)")]
Queues = Annotated[list[str] | None, Query(max_length=128, description="queue names")]
Priorities = Annotated[list[Priority] | None, Query(description="priorities")]
SinceMs = Annotated[int | None, Query(ge=0, le=MAX_TIME_MS, description="created at or after (epoch ms)")]
UntilMs = Annotated[int | None, Query(ge=0, le=MAX_TIME_MS, description="created before (epoch ms)")]
Worker = Annotated[str | None, Query(max_length=255, description="host name, pid or worker id")]
Text = Annotated[
    str | None, Query(max_length=200, description="text searched in the parameters and the error")
]


def job_filter(
    status: Statuses = None,
    job_type: JobTypes = None,
    queue: Queues = None,
    priority: Priorities = None,
    since_ms: SinceMs = None,
    until_ms: UntilMs = None,
    worker: Worker = None,
    q: Text = None,
) -> JobFilter:
    """The filter the query parameters describe."""
    return JobFilter(
        statuses=[s.value for s in status or []],
        job_types=job_type or [],
        queues=queue or [],
        priorities=[p.value for p in priority or []],
        since_ms=since_ms,
        until_ms=until_ms,
        worker=worker or None,
        text=q or None,
    )


def dead_letter_filter(
    job_type: JobTypes = None,
    queue: Queues = None,
    priority: Priorities = None,
    since_ms: SinceMs = None,
    until_ms: UntilMs = None,
    worker: Worker = None,
    q: Text = None,
    retried: Annotated[
        bool | None, Query(description="true: only those retried already; false: only those not yet")
    ] = None,
    older_than_hours: Annotated[
        float | None, Query(ge=0, le=MAX_AGE_HOURS, description="dead for longer than this")
    ] = None,
) -> JobFilter:
    """The filter of dead-letter routes: the job filters (status is always dead), whether they were
    retried, and how long they have been dead."""
    found = job_filter([Status.DEAD], job_type, queue, priority, since_ms, until_ms, worker, q)
    before = None if older_than_hours is None else now_ms() - int(older_than_hours * MS_PER_HOUR)
    return dataclasses.replace(found, retried=retried, finished_before_ms=before)


def encode_cursor(created_at: int, job_id: str) -> str:
    """The opaque cursor of the row (``created_at``, ``job_id``)."""
    return base64.urlsafe_b64encode(f"{created_at}:{job_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Cursor | None:
    """The row a cursor names, or 422 when it is not one this API made."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, job_id = raw.split(":", 1)
        return int(created), job_id
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise HTTPException(422, "cursor is not one this API returned; start again without it") from None
