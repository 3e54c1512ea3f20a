"""Jobs: list with filters and cursor pagination, and get one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from interfaces.api.auth import Viewer
from interfaces.api.filters import MAX_PAGE, decode_cursor, encode_cursor, job_filter
from interfaces.api.schemas import Job, JobPage, job_detail, job_summary
from marketjobs.jobs.queries import get_job
from marketjobs.store.job_search import JobFilter, search_jobs

__all__ = ["router"]

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


@router.get("", response_model=JobPage, summary="List jobs, newest first")
def list_jobs(
    request: Request,
    principal: Viewer,
    filters: Annotated[JobFilter, Depends(job_filter)],
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the last page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> JobPage:
    """Jobs matching every given filter; ``next_cursor`` continues the listing."""
    rows = search_jobs(request.app.state.engine, filters, after=decode_cursor(cursor), limit=limit)
    last = rows[-1] if len(rows) == limit else None
    return JobPage(
        jobs=[job_summary(r) for r in rows],
        next_cursor=encode_cursor(last.created_at, last.id) if last is not None else None,
    )


@router.get("/{job_id}", response_model=Job, summary="One job with everything its record holds")
def get_one(request: Request, principal: Viewer, job_id: str) -> Job:
    """The job's parameters, options, attempts, progress, error and traceback, retries and result."""
    return job_detail(get_job(request.app.state.engine, job_id))
