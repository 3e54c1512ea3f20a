"""The FastAPI application: routes, error handling, and the settings and store it serves from."""

from __future__ import annotations

from typing import Any

import dramatiq
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from interfaces.api import pages
from interfaces.api.routes import health, jobs
from marketjobs.config import Settings
from marketjobs.errors import JobNotFoundError, MarketJobsError
from marketjobs.redact import redact_text
from marketjobs.store.engine import create_store_engine

__all__ = ["create_app"]


def create_app(settings: Settings, broker: dramatiq.Broker) -> FastAPI:
    """The API and page for the store of ``settings`` and the jobs declared on ``broker``."""
    app = FastAPI(
        title="marketjobs",
        description="Background jobs for stock-market analysis: jobs, dead letters, queues, schedules, "
        "workers. Every route but /healthz and /readyz needs a bearer token.",
        version="1",
    )
    app.state.settings = settings
    app.state.broker = broker
    app.state.engine = create_store_engine(settings.database_url)
    app.include_router(health.router)
    app.include_router(jobs.router)
    app.include_router(pages.router)
    app.mount("/static", pages.static_files(), name="static")
    _errors(app)
    return app


def _error(status_code: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": redact_text(message), **extra}, status_code=status_code)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        response = _error(exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()
        ]
        return _error(422, "; ".join(problems), problems=problems)

    @app.exception_handler(JobNotFoundError)
    async def _missing(request: Request, exc: JobNotFoundError) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(MarketJobsError)
    async def _domain(request: Request, exc: MarketJobsError) -> JSONResponse:
        return _error(422, str(exc))
