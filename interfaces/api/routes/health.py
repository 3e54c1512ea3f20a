"""``/healthz`` (liveness: the process answers) and ``/readyz`` (readiness: store and broker reachable).
The only routes without a token, for load balancers and orchestrators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from monitoring.health import liveness, readiness

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness: the API process answers")
def healthz() -> dict[str, Any]:
    """Always 200 while the process serves requests."""
    return liveness().as_dict()


@router.get("/readyz", summary="Readiness: the store and the broker are reachable")
def readyz(request: Request) -> JSONResponse:
    """200 when the database and broker checks pass, else 503 with the failing checks."""
    state = request.app.state
    report = readiness(state.engine, state.settings, broker=state.broker)
    body = report.as_dict()
    return JSONResponse(body, status_code=200 if report.exit_code == 0 else 503)
