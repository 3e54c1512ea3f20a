"""``/jobs/{id}``: one job (progress, redacted parameters, error and traceback, retry links, cancel and
retry buttons), its live part refreshed every second while the job can still change."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from interfaces.api.pages.render import PageUser, render
from interfaces.api.schemas import Job, job_detail
from marketjobs.constants import IN_FLIGHT_STATUSES
from marketjobs.errors import JobNotFoundError
from marketjobs.jobs.dlq import RETRYABLE_STATUSES
from marketjobs.jobs.queries import get_job

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_IN_FLIGHT = frozenset(s.value for s in IN_FLIGHT_STATUSES)
_RETRYABLE = frozenset(s.value for s in RETRYABLE_STATUSES)


def _actions(job: Job) -> dict[str, bool]:
    """Which buttons make sense for ``job`` now."""
    return {
        "cancel": job.status in _IN_FLIGHT and not job.cancel_requested,
        "retry": job.status in _RETRYABLE and job.retried_as is None,
    }


def _context(request: Request, job_id: str) -> dict[str, Any] | None:
    try:
        job = job_detail(get_job(request.app.state.engine, job_id))
    except JobNotFoundError:
        return None
    return {"job": job, "actions": _actions(job), "live": job.status in _IN_FLIGHT}


def _missing(request: Request, principal: PageUser, job_id: str) -> Response:
    return render(request, "missing.html", principal, status_code=404, what=f"job {job_id}")


@router.get("/jobs/{job_id}")
def job_page(request: Request, principal: PageUser, job_id: str) -> Response:
    """Everything the job's record holds, secrets redacted."""
    context = _context(request, job_id)
    if context is None:
        return _missing(request, principal, job_id)
    return render(request, "job.html", principal, **context)


@router.get("/jobs/{job_id}/live")
def job_live(request: Request, principal: PageUser, job_id: str) -> Response:
    """The part of the job page that changes while it runs (status, progress, times, error, actions)."""
    context = _context(request, job_id)
    if context is None:
        return _missing(request, principal, job_id)
    return render(request, "partials/job_live.html", principal, **context)
