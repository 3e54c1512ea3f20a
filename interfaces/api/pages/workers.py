"""``/workers``: the worker registry (one row per worker process, from its heartbeats); a worker silent
past ``worker_lost_seconds`` is shown lost and highlighted."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from interfaces.api.pages.render import PageUser, render
from marketjobs.clock import MS_PER_SECOND, now_ms
from marketjobs.config import Settings
from marketjobs.store.workers import WorkerStatus, list_workers

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Bytes in a MiB (the RSS column).
MIB = 1024 * 1024


def _workers(request: Request, include_stopped: bool) -> list[WorkerStatus]:
    settings: Settings = request.app.state.settings
    return list_workers(
        request.app.state.engine,
        now_ms=now_ms(),
        lost_after_ms=int(settings.worker_lost_seconds * MS_PER_SECOND),
        states=None if include_stopped else ("running", "draining", "lost"),
    )


@router.get("/workers")
def workers_page(request: Request, principal: PageUser, all: bool = False) -> Response:
    """Every live (or, with ``all``, every recorded) worker process, lost ones first."""
    workers = _workers(request, all)
    return render(
        request,
        "workers.html",
        principal,
        workers=sorted(workers, key=lambda w: w.state != "lost"),
        include_stopped=all,
        lost=sum(w.state == "lost" for w in workers),
        mib=MIB,
    )


@router.get("/workers/rows")
def workers_rows(request: Request, principal: PageUser, all: bool = False) -> Response:
    """The table alone (live refresh)."""
    workers = _workers(request, all)
    return render(
        request,
        "partials/worker_rows.html",
        principal,
        workers=sorted(workers, key=lambda w: w.state != "lost"),
        include_stopped=all,
        mib=MIB,
    )
