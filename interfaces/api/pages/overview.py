"""``/``: the overview: jobs by status, throughput and failure ratio over a window (an SVG chart laid out
on the server), queue latency and depth, and how many workers are alive or lost."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from interfaces.api.pages.chart import layout
from interfaces.api.pages.render import PageUser, render
from marketjobs.clock import MS_PER_SECOND, now_ms
from marketjobs.config import Settings
from marketjobs.constants import Status
from marketjobs.jobs.queries import count_by_status
from marketjobs.jobs.queues import queue_statuses
from marketjobs.jobs.stats import throughput
from marketjobs.store.workers import list_workers

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: The windows offered, in minutes, with the number of buckets of each.
WINDOWS: dict[int, int] = {60: 60, 360: 72, 1440: 96, 10080: 84}
#: Names of the windows.
WINDOW_NAMES = {60: "1 hour", 360: "6 hours", 1440: "24 hours", 10080: "7 days"}
#: The window shown unless the operator picks another.
DEFAULT_WINDOW = 60
Window = Annotated[int, Query(description="minutes: 60, 360, 1440 or 10080")]


def _context(request: Request, window_minutes: int) -> dict[str, Any]:
    state = request.app.state
    settings: Settings = state.settings
    minutes = window_minutes if window_minutes in WINDOWS else DEFAULT_WINDOW
    now = now_ms()
    counts = count_by_status(state.engine)
    buckets = throughput(state.engine, now_ms=now, window_ms=minutes * 60_000, buckets=WINDOWS[minutes])
    workers = list_workers(
        state.engine,
        now_ms=now,
        lost_after_ms=int(settings.worker_lost_seconds * MS_PER_SECOND),
        states=("running", "draining", "lost"),
    )
    return {
        "counts": [(s.value, counts.get(s.value, 0)) for s in Status],
        "total": sum(counts.values()),
        "chart": layout(buckets),
        "window": minutes,
        "windows": WINDOW_NAMES,
        "queues": queue_statuses(state.broker, state.engine),
        "workers": Counter(w.state for w in workers),
    }


@router.get("/")
def overview_page(request: Request, principal: PageUser, window_minutes: Window = DEFAULT_WINDOW) -> Response:
    """The overview."""
    return render(request, "overview.html", principal, **_context(request, window_minutes))


@router.get("/overview/live")
def overview_live(request: Request, principal: PageUser, window_minutes: Window = DEFAULT_WINDOW) -> Response:
    """The overview's figures alone (live refresh)."""
    return render(request, "partials/overview_live.html", principal, **_context(request, window_minutes))
