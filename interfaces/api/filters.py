"""Query parameters of job listings and bulk actions, checked (a bad filter is a 422, never a 500)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import HTTPException, Query

from marketjobs.constants import Priority, Status
from marketjobs.store.job_search import Cursor, JobFilter

__all__ = ["MAX_PAGE", "decode_cursor", "encode_cursor", "job_filter"]

#: Most jobs one page returns.
MAX_PAGE = 500
#: Latest time a filter may name (year 9999), epoch ms: larger values are refused, not overflowed.
MAX_TIME_MS = 253_402_300_799_999


def job_filter(
    status: Annotated[list[Status] | None, Query(description="one or more job statuses")] = None,
    job_type: Annotated[
        list[str] | None, Query(max_length=128, description="job types (actor names)")
    ] = None,
    queue: Annotated[list[str] | None, Query(max_length=128, description="queue names")] = None,
    priority: Annotated[list[Priority] | None, Query(description="priorities")] = None,
    since_ms: Annotated[int | None, Query(ge=0, le=MAX_TIME_MS, description="created at or after")] = None,
    until_ms: Annotated[int | None, Query(ge=0, le=MAX_TIME_MS, description="created before")] = None,
    worker: Annotated[str | None, Query(max_length=255, description="host name, pid or worker id")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="text searched in the parameters and the error")
    ] = None,
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
