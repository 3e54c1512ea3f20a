"""Errors as JSON ``{"error": "<what to fix>"}`` (redacted), with the status each kind of failure deserves.

- a bad filter, body or parameter: 422 with every problem (``problems``), never a 500;
- an unknown job: 404; an action the job's status does not allow, or a duplicate idempotency key: 409;
- any other marketjobs error: 422 with its message; the store unreachable: 503; anything else: 500 with
  a pointer to the log (the exception itself is logged, redacted, never served).

:class:`RejectNul` refuses NUL characters in the path and query (PostgreSQL cannot take them as text): a
422 rather than a database error.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from marketjobs.errors import DuplicateJobError, JobNotFoundError, JobStateError, MarketJobsError
from marketjobs.redact import redact_text

__all__ = ["RejectNul", "error_response", "install_error_handlers"]

logger = logging.getLogger("marketjobs.api")


def error_response(status_code: int, message: str, **extra: Any) -> JSONResponse:
    """``{"error": message}`` (redacted) with ``status_code``."""
    return JSONResponse({"error": redact_text(message), **extra}, status_code=status_code)


class RejectNul:
    """ASGI middleware: 422 for a request whose path or query holds a NUL character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]
        ):
            response = error_response(
                422, "NUL characters (%00) are not allowed in a path or query; remove them"
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Registers the JSON error handlers and :class:`RejectNul` on ``app``."""
    app.add_middleware(RejectNul)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        response = error_response(exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()
        ]
        return error_response(422, "; ".join(problems), problems=problems)

    @app.exception_handler(JobNotFoundError)
    async def _missing(request: Request, exc: JobNotFoundError) -> JSONResponse:
        return error_response(404, str(exc))

    @app.exception_handler(JobStateError)
    async def _state(request: Request, exc: JobStateError) -> JSONResponse:
        return error_response(409, str(exc))

    @app.exception_handler(DuplicateJobError)
    async def _duplicate(request: Request, exc: DuplicateJobError) -> JSONResponse:
        return error_response(409, str(exc))

    @app.exception_handler(MarketJobsError)
    async def _domain(request: Request, exc: MarketJobsError) -> JSONResponse:
        return error_response(422, str(exc))

    @app.exception_handler(OperationalError)
    async def _store(request: Request, exc: OperationalError) -> JSONResponse:
        logger.error("store error on %s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "the job store is unavailable; check the database and retry")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.error("error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(500, "internal error; the API log has the details")
