"""``/jobs``: the job listing with the API's filters, keyset pagination ("older"), a live-refreshed table,
and bulk actions on the current filter (a dry-run count first, then the action on at most that many)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from interfaces.api.filters import MAX_PAGE, decode_cursor, encode_cursor
from interfaces.api.pages.job_form import JobForm, api_query, read_form
from interfaces.api.pages.render import PageUser, render
from interfaces.api.schemas import JobSummary, job_summary
from marketjobs.constants import Priority, Status
from marketjobs.store.job_search import search_jobs

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Jobs per page unless ``limit`` says otherwise.
PAGE_SIZE = 50
#: Seconds between live refreshes of the table, and of a table filtered by text.
POLL_SECONDS, TEXT_POLL_SECONDS = 2, 10
#: The bulk actions of ``POST /api/bulk/{action}`` the page offers.
BULK_ACTIONS = ("cancel", "retry", "purge")

Cursor = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def _known(request: Request) -> tuple[list[str], list[str]]:
    """Job types and queues declared on the app's broker (suggestions for the form)."""
    broker = request.app.state.broker
    types = sorted(broker.actors)
    queues = sorted({broker.get_actor(name).queue_name for name in types})
    return types, queues


def _listing(request: Request, form: JobForm, cursor: str | None, limit: int) -> dict[str, Any]:
    """The rows of one page and the cursor of the next, or the problem with the request."""
    problems = list(form.problems)
    jobs: list[JobSummary] = []
    next_cursor = None
    try:
        after = decode_cursor(cursor)
    except HTTPException as exc:
        problems.append(str(exc.detail))
        after = None
    if not problems:
        rows = search_jobs(request.app.state.engine, form.filter, after=after, limit=limit)
        jobs = [job_summary(r) for r in rows]
        if len(rows) == limit:
            next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
    return {
        "form": form,
        "jobs": jobs,
        "problems": problems,
        "cursor": cursor,
        "limit": limit,
        "older": form.query(cursor=next_cursor, **_limit(limit)) if next_cursor else None,
        "live": cursor is None and not problems,
        # A text search scans parameters: refresh it less often than an indexed listing.
        "poll_seconds": TEXT_POLL_SECONDS if form.filter.text else POLL_SECONDS,
        "rows_query": form.query(**_limit(limit)),
    }


def _limit(limit: int) -> dict[str, str]:
    return {} if limit == PAGE_SIZE else {"limit": str(limit)}


@router.get("/jobs")
def jobs_page(
    request: Request, principal: PageUser, cursor: Cursor = None, limit: Limit = PAGE_SIZE
) -> Response:
    """The filter form, the table and the bulk actions."""
    form = read_form(request.query_params)
    types, queues = _known(request)
    listing = _listing(request, form, cursor, limit)
    query = api_query(form.filter)
    # Purging with no filter at all must be asked for (all=true); the dry run still counts first.
    everything = "" if query else "all=true"
    bulk = {
        action: f"/api/bulk/{action}?{query or (everything if action == 'purge' else '')}"
        for action in BULK_ACTIONS
    }
    return render(
        request,
        "jobs.html",
        principal,
        statuses=[s.value for s in Status],
        priorities=[p.value for p in Priority],
        job_types=types,
        queues=queues,
        bulk=bulk if not listing["problems"] else {},
        **listing,
    )


@router.get("/jobs/rows")
def jobs_rows(
    request: Request, principal: PageUser, cursor: Cursor = None, limit: Limit = PAGE_SIZE
) -> Response:
    """The table and pager alone: what the page's live refresh swaps in."""
    listing = _listing(request, read_form(request.query_params), cursor, limit)
    return render(request, "partials/job_rows.html", principal, **listing)
