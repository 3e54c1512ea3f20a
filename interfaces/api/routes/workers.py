"""Workers: the registry every worker process keeps fresh with its heartbeat; a silent one shows as lost."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from interfaces.api.auth import Viewer
from interfaces.api.deps import SettingsDep, Store
from marketjobs.clock import MS_PER_SECOND, now_ms
from marketjobs.store.workers import WorkerState, list_workers

__all__ = ["WorkerOut", "router"]

router = APIRouter(prefix="/api/workers", tags=["workers"])


class WorkerOut(BaseModel):
    """One worker process as its last heartbeat described it (times in UTC epoch milliseconds)."""

    id: str
    hostname: str
    pid: int
    parent_pid: int | None
    pool: str | None = Field(description="the supervisor pool (None: started by hand)")
    queues: list[str] = Field(description="queues consumed (empty: every queue)")
    threads: int
    started_at: int
    heartbeat_at: int
    jobs_processed: int
    jobs_failed: int
    current_jobs: list[str] = Field(description="ids of the jobs running at the heartbeat")
    rss_bytes: int
    version: str
    state: WorkerState = Field(description="running, draining, stopped, or lost (heartbeat too old)")


@router.get("", response_model=list[WorkerOut], summary="Worker processes from their heartbeats")
def list_all(
    principal: Viewer,
    engine: Store,
    settings: SettingsDep,
    state: Annotated[list[WorkerState] | None, Query(description="only these states")] = None,
    pool: Annotated[str | None, Query(max_length=64)] = None,
) -> list[WorkerOut]:
    """Every worker by pool, host and start time (stopped ones too unless ``state`` filters them)."""
    workers = list_workers(
        engine,
        now_ms=now_ms(),
        lost_after_ms=int(settings.worker_lost_seconds * MS_PER_SECOND),
        states=state or None,
        pool=pool,
    )
    return [WorkerOut(**w.as_dict()) for w in workers]
