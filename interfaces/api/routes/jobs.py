"""Jobs: list with filters and cursor pagination (with an ETag), get one, cancel one, retry one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from interfaces.api.auth import Operator, Viewer
from interfaces.api.deps import BrokerDep, Store
from interfaces.api.etag import NOT_MODIFIED, etag_json
from interfaces.api.filters import MAX_PAGE, decode_cursor, encode_cursor, job_filter
from interfaces.api.schemas import Job, JobPage, job_detail, job_summary
from marketjobs.jobs.cancel import request_cancel
from marketjobs.jobs.dlq import retry_job
from marketjobs.jobs.queries import get_job
from marketjobs.store.job_search import JobFilter, search_jobs

__all__ = ["CancelRequested", "Retried", "router"]

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


class CancelRequested(BaseModel):
    """A job flagged for cancellation: a pending one is skipped, a running one stops at its next check."""

    id: str
    status: str = Field(description="the job's status when the cancel was requested")


class Retried(BaseModel):
    """A job sent again as a new job linked to it (``retry_of`` / ``retried_as``)."""

    id: str = Field(description="the job retried")
    retried_as: str = Field(description="the new job")


@router.get("", response_model=JobPage, responses=NOT_MODIFIED, summary="List jobs, newest first")
def list_jobs(
    request: Request,
    principal: Viewer,
    engine: Store,
    filters: Annotated[JobFilter, Depends(job_filter)],
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the last page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> Response:
    """Jobs matching every given filter; ``next_cursor`` continues the listing. Send the last ``ETag`` as
    ``If-None-Match`` to get a 304 while the page is unchanged."""
    rows = search_jobs(engine, filters, after=decode_cursor(cursor), limit=limit)
    last = rows[-1] if len(rows) == limit else None
    page = JobPage(
        jobs=[job_summary(r) for r in rows],
        next_cursor=encode_cursor(last.created_at, last.id) if last is not None else None,
    )
    return etag_json(request, page)


@router.get("/{job_id}", response_model=Job, summary="One job with everything its record holds")
def get_one(principal: Viewer, engine: Store, job_id: str) -> Job:
    """The job's parameters, options, attempts, progress, error and traceback, retries and result."""
    return job_detail(get_job(engine, job_id))


@router.post("/{job_id}/cancel", response_model=CancelRequested, summary="Cancel a pending or running job")
def cancel(principal: Operator, engine: Store, job_id: str) -> CancelRequested:
    """A pending job is skipped when a worker picks it up; a running one stops at its next check. A
    finished job answers 409."""
    return CancelRequested(id=job_id, status=request_cancel(engine, job_id).value)


@router.post("/{job_id}/retry", response_model=Retried, summary="Send a dead, cancelled or skipped job again")
def retry(principal: Operator, engine: Store, broker: BrokerDep, job_id: str) -> Retried:
    """The job is sent again as a new job with the same parameters, linked both ways; 409 when it is not
    dead, cancelled or skipped, or was retried already."""
    return Retried(id=job_id, retried_as=retry_job(engine, broker, job_id))
