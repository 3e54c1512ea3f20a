"""When to add or remove a worker process: a pure decision from a pool's load, tested with a table.

Up fast, down slowly: while the oldest ready message of the pool's queues has waited longer than the
pool's ``target_latency_seconds``, or there are more ready messages per process than ``jobs_per_process``,
add one process per supervisor interval (never above ``max``). Remove one only after the pool has been idle
(no message waiting, and one process fewer could hold the work in flight) for ``scale_down_after_seconds``
since both the last busy moment and the last change (never below ``min``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from marketjobs.config import PoolSettings

__all__ = ["Decision", "Direction", "PoolLoad", "ScaleState", "decide"]

Direction = Literal["up", "down", "none"]

#: A queue whose oldest ready message waited less than this many seconds counts as idle.
IDLE_LATENCY_SECONDS = 0.5


@dataclass(frozen=True)
class PoolLoad:
    """What a pool's queues hold now: the oldest ready message's wait, and messages ready or in flight."""

    latency_seconds: float
    waiting: int


@dataclass
class ScaleState:
    """A pool's memory between decisions (monotonic seconds)."""

    #: Last time the pool was not idle.
    busy_at: float = 0.0
    #: Last time the pool's size changed.
    changed_at: float = 0.0


@dataclass(frozen=True)
class Decision:
    """The process count a pool should have, which way that is, and why (a metric label)."""

    target: int
    direction: Direction
    reason: str


def _idle(pool: PoolSettings, current: int, load: PoolLoad) -> bool:
    room = max(current - 1, 0) * pool.threads
    return load.latency_seconds < IDLE_LATENCY_SECONDS and load.waiting <= room


def decide(pool: PoolSettings, current: int, load: PoolLoad, state: ScaleState, now: float) -> Decision:
    """The decision for a pool of ``current`` processes under ``load``; updates ``state``."""
    if not _idle(pool, current, load):
        state.busy_at = now
    decision = _decide(pool, current, load, state, now)
    if decision.direction != "none":
        state.changed_at = now
    return decision


def _decide(pool: PoolSettings, current: int, load: PoolLoad, state: ScaleState, now: float) -> Decision:
    if current < pool.min:
        return Decision(pool.min, "up", "below_min")
    if current > pool.max:
        return Decision(pool.max, "down", "above_max")
    if current < pool.max:
        if current == 0 and load.waiting > 0:
            return Decision(1, "up", "backlog")
        if load.latency_seconds > pool.target_latency_seconds:
            return Decision(current + 1, "up", "latency")
        if current and load.waiting / current > pool.jobs_per_process:
            return Decision(current + 1, "up", "depth")
    if current > pool.min:
        quiet = now - max(state.busy_at, state.changed_at)
        if quiet >= pool.scale_down_after_seconds and _idle(pool, current, load):
            return Decision(current - 1, "down", "idle")
    return Decision(current, "none", "steady")
