"""``/queues``: every user queue with its ready, delayed and dead messages, the oldest ready message's wait,
and pause / resume (``POST /api/queues/{queue}/pause|resume``: workers of every broker stop taking its
messages while it is paused, and the pause survives restarts)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from interfaces.api.pages.render import PageUser, render
from marketjobs.jobs.queues import queue_statuses

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/queues")
def queues_page(request: Request, principal: PageUser) -> Response:
    """The queues table."""
    state = request.app.state
    return render(request, "queues.html", principal, queues=queue_statuses(state.broker, state.engine))


@router.get("/queues/rows")
def queues_rows(request: Request, principal: PageUser) -> Response:
    """The table alone (live refresh)."""
    state = request.app.state
    queues = queue_statuses(state.broker, state.engine)
    return render(request, "partials/queue_rows.html", principal, queues=queues)
