"""Diagnostic jobs: prove a deployment end to end (enqueue, workers, records) without touching market data."""

from __future__ import annotations

import time
from typing import Any

import dramatiq
from pydantic import BaseModel, ConfigDict, Field

from marketjobs.jobs import current_job
from marketjobs.jobs.params import ValidatedActor, parse_params

__all__ = ["fail", "hold_memory", "noop", "sleep"]


class SleepParams(BaseModel):
    """Parameters of the ``sleep`` diagnostic job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seconds: float = Field(1.0, ge=0, le=3600, allow_inf_nan=False)
    steps: int = Field(10, ge=1, le=10_000)


class _SleepActor(ValidatedActor):
    params_model = SleepParams


@dramatiq.actor(queue_name="diagnostics", max_retries=0)
def noop() -> None:
    """Does nothing; measures the cost of the job machinery itself."""


@dramatiq.actor(actor_class=_SleepActor, queue_name="diagnostics", max_retries=0, time_limit=3_600_000)
def sleep(**kwargs: Any) -> dict[str, float]:
    """Sleeps in steps, reporting progress and stopping early when cancelled (see :class:`SleepParams`)."""
    params = parse_params(SleepParams, kwargs, "sleep")
    job = current_job()
    for step in range(params.steps):
        job.raise_if_cancelled()
        time.sleep(params.seconds / params.steps)
        job.progress(100 * (step + 1) / params.steps, f"step {step + 1}/{params.steps}")
    return {"slept_seconds": params.seconds}


@dramatiq.actor(queue_name="diagnostics", max_retries=2, min_backoff=100, max_backoff=1000)
def fail(reason: str = "diagnostic failure") -> None:
    """Always raises: exercises retries with backoff, dead letters and failure alerts end to end."""
    raise RuntimeError(reason)


#: Memory kept by ``hold_memory`` for the life of the worker process.
_HELD: list[bytearray] = []


@dramatiq.actor(queue_name="diagnostics", max_retries=0)
def hold_memory(megabytes: int = 64) -> dict[str, Any]:
    """Keeps ``megabytes`` MiB (touched) for the life of the worker process: a leak on purpose, to check
    that the supervisor recycles a worker above its pool's ``max_rss_mb``."""
    size = max(0, min(int(megabytes), 4096)) * 1024 * 1024
    _HELD.append(bytearray(b"\x01") * size)
    return {"held_megabytes": sum(len(b) for b in _HELD) // (1024 * 1024)}
