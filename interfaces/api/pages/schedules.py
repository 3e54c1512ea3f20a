"""``/schedules``: every schedule with its next runs, an enable/disable toggle and run now (``POST
/api/schedules/{name}/enable|disable|run-now``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from interfaces.api.pages.render import PageUser, render
from marketjobs import clock
from marketjobs.redact import redact
from scheduler.control import definitions_for, schedule_views

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _schedules(request: Request) -> list[dict[str, Any]]:
    state = request.app.state
    definitions = definitions_for(state.settings, state.broker)
    views = schedule_views(state.engine, definitions, clock.now())
    for view in views:
        view["kwargs"] = redact(view["kwargs"])
        view["next_runs"] = [run.replace("T", " ")[:19] for run in view["next_runs"]]
    return views


@router.get("/schedules")
def schedules_page(request: Request, principal: PageUser) -> Response:
    """The schedules table."""
    return render(request, "schedules.html", principal, schedules=_schedules(request))


@router.get("/schedules/rows")
def schedules_rows(request: Request, principal: PageUser) -> Response:
    """The table alone (live refresh)."""
    return render(request, "partials/schedule_rows.html", principal, schedules=_schedules(request))
