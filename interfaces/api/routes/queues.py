"""Queues: messages ready, delayed and dead, the oldest ready message's wait, and pause / resume.

A paused queue's messages stay where they are: workers of every broker stop taking them (within a couple of
seconds) until it is resumed, and the pause survives restarts (it is a row in the store).
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from interfaces.api.auth import Operator, Viewer
from interfaces.api.deps import BrokerDep, Store
from interfaces.api.etag import NOT_MODIFIED, etag_json
from marketjobs.clock import now_ms
from marketjobs.jobs.queues import QueueStatus, queue_statuses, user_queues
from marketjobs.store.queue_pauses import pause_queue, paused_queues, resume_queue

__all__ = ["Queue", "router"]

router = APIRouter(prefix="/api/queues", tags=["queues"])


class Queue(BaseModel):
    """One user queue (every priority of it)."""

    queue: str
    ready: int = Field(description="messages waiting to run (or in flight, where the broker cannot tell)")
    delayed: int = Field(description="messages waiting for their eta (retries, delayed sends)")
    dead: int = Field(description="the broker's dead-letter copies")
    latency_seconds: float | None = Field(description="how long the oldest ready message has waited")
    paused: bool
    paused_by: str | None
    paused_at: int | None = Field(description="UTC epoch milliseconds")


def _queue(status: QueueStatus) -> Queue:
    return Queue(**status.as_dict())


def _known(engine: Store, broker: BrokerDep, queue: str) -> None:
    if queue not in user_queues(broker) and queue not in paused_queues(engine):
        known = ", ".join(user_queues(broker))
        raise HTTPException(404, f"no queue named {queue!r}; the queues are: {known}")


@router.get("", response_model=list[Queue], responses=NOT_MODIFIED, summary="Every queue with its depth")
def list_queues(request: Request, principal: Viewer, engine: Store, broker: BrokerDep) -> Response:
    """Ready, delayed and dead messages, latency and pause of each queue; send the last ``ETag`` as
    ``If-None-Match`` to get a 304 while nothing changed."""
    return etag_json(request, [_queue(s) for s in queue_statuses(broker, engine)])


@router.post("/{queue}/pause", response_model=Queue, summary="Pause a queue")
def pause(principal: Operator, engine: Store, broker: BrokerDep, queue: str) -> Queue:
    """Workers stop taking the queue's messages (those running finish); pausing again updates who/when."""
    _known(engine, broker, queue)
    pause_queue(engine, queue, by=principal.name, now_ms=now_ms())
    return _queue(queue_statuses(broker, engine, [queue])[0])


@router.post("/{queue}/resume", response_model=Queue, summary="Resume a paused queue")
def resume(principal: Operator, engine: Store, broker: BrokerDep, queue: str) -> Queue:
    """Workers take the queue's messages again (resuming a queue that is not paused changes nothing)."""
    _known(engine, broker, queue)
    resume_queue(engine, queue)
    return _queue(queue_statuses(broker, engine, [queue])[0])
