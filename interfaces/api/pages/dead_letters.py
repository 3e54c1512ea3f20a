"""``/dead-letters``: jobs that failed for good, newest first with their error; retry one, retry the ones
ticked, retry or purge everything matching (a dry-run count first). Every action is a POST to
``/api/dead-letters/...``."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.responses import Response

from interfaces.api.filters import decode_cursor, encode_cursor
from interfaces.api.pages.render import PageUser, render
from interfaces.api.schemas import job_detail
from marketjobs.constants import Status
from marketjobs.store.job_search import JobFilter, search_jobs

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Dead letters per page.
PAGE_SIZE = 50
#: ``retried`` choices of the form: any, not retried yet, retried already.
RETRIED = {"": None, "false": False, "true": True}

Text = Annotated[str, Query(max_length=200)]
Name = Annotated[str, Query(max_length=128)]


def _context(
    request: Request, job_type: str, queue: str, q: str, retried: str, cursor: str | None
) -> dict[str, Any]:
    fields = {"job_type": job_type.strip(), "queue": queue.strip(), "q": q.strip()}
    fields["retried"] = retried if retried in RETRIED else ""
    job_filter = JobFilter(
        statuses=[Status.DEAD.value],
        job_types=[fields["job_type"]] if fields["job_type"] else [],
        queues=[fields["queue"]] if fields["queue"] else [],
        text=fields["q"] or None,
        retried=RETRIED[fields["retried"]],
    )
    query = urlencode({name: value for name, value in fields.items() if value})
    problems: list[str] = []
    try:
        after = decode_cursor(cursor)
    except HTTPException as exc:
        problems.append(str(exc.detail))
        after = None
    rows = [] if problems else search_jobs(request.app.state.engine, job_filter, after=after, limit=PAGE_SIZE)
    older = None
    if len(rows) == PAGE_SIZE:
        older = urlencode(
            {**dict(request.query_params), "cursor": encode_cursor(rows[-1].created_at, rows[-1].id)}
        )
    # The filter as the API reads it; an empty one must say all=true to purge every dead letter.
    api = query if query else "all=true"
    return {
        "form": fields,
        "query": query,
        "letters": [job_detail(r) for r in rows],
        "problems": problems,
        "cursor": cursor,
        "older": older,
        "live": cursor is None,
        "retry_url": f"/api/dead-letters/retry?{query}",
        "purge_url": f"/api/dead-letters/purge?{api}",
    }


@router.get("/dead-letters")
def dead_letters_page(
    request: Request,
    principal: PageUser,
    job_type: Name = "",
    queue: Name = "",
    q: Text = "",
    retried: Annotated[str, Query(max_length=5)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The dead letters and their actions."""
    context = _context(request, job_type, queue, q, retried, cursor)
    return render(request, "dead_letters.html", principal, **context)


@router.get("/dead-letters/rows")
def dead_letters_rows(
    request: Request,
    principal: PageUser,
    job_type: Name = "",
    queue: Name = "",
    q: Text = "",
    retried: Annotated[str, Query(max_length=5)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The table alone (live refresh; held while rows are ticked)."""
    context = _context(request, job_type, queue, q, retried, cursor)
    return render(request, "partials/dead_letter_rows.html", principal, **context)
