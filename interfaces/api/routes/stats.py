"""The overview's numbers: jobs by status, throughput and failure ratio per time bucket, queue latency."""

from __future__ import annotations

from typing import Annotated

import dramatiq
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from interfaces.api.auth import Viewer
from interfaces.api.deps import BrokerDep, Store
from marketjobs.clock import now_ms
from marketjobs.constants import Status
from marketjobs.jobs.queries import count_by_status
from marketjobs.jobs.queues import queue_statuses
from marketjobs.jobs.stats import MAX_BUCKETS, Bucket, throughput

__all__ = ["QueueLoad", "Stats", "queue_loads", "router", "status_counts"]

router = APIRouter(prefix="/api/stats", tags=["stats"])

#: Longest window the overview covers: 30 days, in minutes.
MAX_WINDOW_MINUTES = 43_200


class BucketOut(BaseModel):
    """Jobs that finished in ``[start_ms, end_ms)`` (UTC epoch milliseconds)."""

    start_ms: int
    end_ms: int
    completed: int
    failed: int = Field(description="jobs that went to dead letters")
    throughput_per_minute: float = Field(description="finished jobs (completed + failed) per minute")
    failure_ratio: float | None = Field(description="failed / finished; null when none finished")


class QueueLoad(BaseModel):
    """A queue's depth and the oldest ready message's wait."""

    queue: str
    ready: int
    delayed: int
    dead: int
    latency_seconds: float | None
    paused: bool


class Stats(BaseModel):
    """Counts now and throughput over the window."""

    generated_at: int = Field(description="UTC epoch milliseconds")
    window_minutes: int
    counts: dict[str, int] = Field(description="jobs by status (every status, zeros included)")
    total: int
    buckets: list[BucketOut] = Field(description="oldest first")
    queues: list[QueueLoad]


def status_counts(engine: Engine) -> dict[str, int]:
    """Jobs in each status, every status named (zeros included)."""
    counts = count_by_status(engine)
    return {s.value: counts.get(s.value, 0) for s in Status}


def queue_loads(broker: dramatiq.Broker, engine: Engine) -> list[QueueLoad]:
    """Depth, latency and pause of every queue."""
    return [
        QueueLoad(
            queue=q.queue,
            ready=q.ready,
            delayed=q.delayed,
            dead=q.dead,
            latency_seconds=q.latency_seconds,
            paused=q.paused,
        )
        for q in queue_statuses(broker, engine)
    ]


def _bucket(bucket: Bucket) -> BucketOut:
    return BucketOut(**bucket.as_dict())


@router.get("", response_model=Stats, summary="Counts by status, throughput over time, queue latency")
def stats(
    principal: Viewer,
    engine: Store,
    broker: BrokerDep,
    window_minutes: Annotated[int, Query(ge=1, le=MAX_WINDOW_MINUTES)] = 60,
    buckets: Annotated[int, Query(ge=1, le=MAX_BUCKETS)] = 12,
) -> Stats:
    """Jobs by status now; completed and failed jobs, throughput and failure ratio per bucket of the
    window; and each queue's depth and latency."""
    now = now_ms()
    counts = status_counts(engine)
    found = throughput(engine, now_ms=now, window_ms=window_minutes * 60_000, buckets=buckets)
    return Stats(
        generated_at=now,
        window_minutes=window_minutes,
        counts=counts,
        total=sum(counts.values()),
        buckets=[_bucket(b) for b in found],
        queues=queue_loads(broker, engine),
    )
