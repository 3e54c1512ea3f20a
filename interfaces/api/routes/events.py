"""``/api/events``: live updates as Server-Sent Events.

Every ``EVENT_INTERVAL_SECONDS`` an event ``stats`` carries the jobs by status and each queue's depth;
with ``?job_id=`` an event ``job`` carries that job's status and progress whenever they change (checked a
few times a second). The stream ends when the client disconnects, or after a ``gone`` event when the job's
record is purged. Store reads run in the thread pool, so a stream never blocks other requests;
``app.state.open_event_streams`` counts the streams open.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from interfaces.api.auth import Viewer
from interfaces.api.routes.stats import queue_loads, status_counts
from marketjobs.errors import JobNotFoundError
from marketjobs.jobs.queries import get_job
from marketjobs.redact import redact_text

__all__ = ["EVENT_INTERVAL_SECONDS", "router"]

router = APIRouter(prefix="/api", tags=["events"])

#: Seconds between ``stats`` events (``app.state.event_interval_seconds`` overrides it, e.g. in tests).
EVENT_INTERVAL_SECONDS = 2.0
#: Seconds between checks of the watched job.
JOB_POLL_SECONDS = 0.25


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _job_state(request: Request, job_id: str) -> dict[str, Any] | None:
    try:
        record = get_job(request.app.state.engine, job_id)
    except JobNotFoundError:
        return None
    message = record.progress_message
    return {
        "id": record.id,
        "status": record.status,
        "progress": record.progress,
        "progress_message": None if message is None else redact_text(message),
        "attempts": record.attempts,
        "retried_as": record.retried_as,
        "updated_at": record.updated_at,
    }


def _stats(request: Request) -> dict[str, Any]:
    state = request.app.state
    return {
        "counts": status_counts(state.engine),
        "queues": [q.model_dump() for q in queue_loads(state.broker, state.engine)],
    }


async def _stream(request: Request, job_id: str | None) -> AsyncIterator[str]:
    state = request.app.state
    state.open_event_streams = getattr(state, "open_event_streams", 0) + 1
    try:
        async for chunk in _events(request, job_id):
            yield chunk
    finally:
        state.open_event_streams -= 1


async def _events(request: Request, job_id: str | None) -> AsyncIterator[str]:
    interval = float(getattr(request.app.state, "event_interval_seconds", EVENT_INTERVAL_SECONDS))
    yield f"retry: {int(interval * 1000)}\n\n"
    next_stats = 0.0
    last_job: dict[str, Any] | None = None
    while not await request.is_disconnected():
        if time.monotonic() >= next_stats:
            yield _event("stats", await run_in_threadpool(_stats, request))
            next_stats = time.monotonic() + interval
        if job_id is not None:
            job = await run_in_threadpool(_job_state, request, job_id)
            if job is None:
                yield _event("gone", {"id": job_id})
                return
            if job != last_job:
                yield _event("job", job)
                last_job = job
        await asyncio.sleep(JOB_POLL_SECONDS if job_id is not None else min(interval, 1.0))


@router.get(
    "/events",
    summary="Live updates (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "an event stream"}},
)
async def events(
    request: Request,
    principal: Viewer,
    job_id: Annotated[str | None, Query(max_length=64, description="also stream this job's changes")] = None,
) -> StreamingResponse:
    """``stats`` events every 2 s; with ``job_id``, ``job`` events whenever the job changes."""
    if job_id is not None:
        await run_in_threadpool(get_job, request.app.state.engine, job_id)  # 404 for an unknown job
    return StreamingResponse(
        _stream(request, job_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
