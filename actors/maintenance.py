"""``maintenance``: retention of old rows and VACUUM/ANALYZE of the store (logic in
:mod:`marketjobs.store.maintenance`).

``maintenance.send()`` runs both tasks; ``tasks=["vacuum"]`` (or the schedules' ``task="vacuum"``; ``task=
"cleanup"`` means retention) picks some, and ``dry_run=True`` only counts what retention would delete. The
retention periods are settings (``job_record_retention_days``, ``dead_letter_retention_days``,
``bar_retention_days``, ``signal_retention_days``). One maintenance job runs at a time across all workers (a
second one returns at once with ``skipped_busy``; the lock lapses after the time limit if its worker died).
A cancel stops between batches.
"""

from __future__ import annotations

from typing import Any, Literal

import dramatiq
from dramatiq.rate_limits import ConcurrentRateLimiter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from marketjobs.config import get_settings
from marketjobs.jobs import current_job
from marketjobs.jobs.broker import rate_limiter_backend
from marketjobs.jobs.params import ValidatedActor, parse_params
from marketjobs.services.maintenance_run import run_maintenance
from marketjobs.store.engine import create_store_engine
from marketjobs.store.maintenance import DEFAULT_BATCH_SIZE, MaintenanceSummary
from scheduler.periodiq_compat import cron

__all__ = ["MaintenanceParams", "maintenance"]

#: Longest a maintenance run may take (1 hour: VACUUM rewrites the whole SQLite file).
TIME_LIMIT_MS = 60 * 60 * 1000
#: Rate-limiter key of the mutex that keeps maintenance runs from overlapping.
MUTEX_KEY = "marketjobs:maintenance"

Task = Literal["retention", "vacuum"]
#: Spellings of the single ``task`` parameter (the default schedules send "cleanup" and "vacuum").
_TASK_SPELLINGS: dict[str, list[Task]] = {
    "cleanup": ["retention"],
    "retention": ["retention"],
    "vacuum": ["vacuum"],
    "all": ["retention", "vacuum"],
}


def _every_task() -> list[Task]:
    return ["retention", "vacuum"]


class MaintenanceParams(BaseModel):
    """Parameters of the ``maintenance`` job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Tasks to run, in the order retention, vacuum.
    tasks: list[Task] = Field(default_factory=lambda: _every_task(), min_length=1)
    #: One task by name: "cleanup" (= "retention"), "vacuum" or "all"; an alternative to ``tasks``.
    task: Literal["cleanup", "retention", "vacuum", "all"] | None = None
    #: Count what retention would delete; delete and vacuum nothing.
    dry_run: bool = False
    #: Rows deleted per transaction.
    batch_size: int = Field(DEFAULT_BATCH_SIZE, ge=1, le=100_000)

    @model_validator(mode="after")
    def _one_spelling(self) -> MaintenanceParams:
        if self.task is not None and "tasks" in self.model_fields_set:
            raise ValueError("give tasks (a list) or task (one name), not both")
        return self

    def chosen_tasks(self) -> list[Task]:
        """The tasks to run."""
        return _TASK_SPELLINGS[self.task] if self.task is not None else list(self.tasks)


class _MaintenanceActor(ValidatedActor):
    params_model = MaintenanceParams


@dramatiq.actor(
    actor_class=_MaintenanceActor,
    queue_name="maintenance",
    max_retries=2,
    time_limit=TIME_LIMIT_MS,
    default_priority="low",
    periodic=cron("every day at 03:00", kwargs={"task": "cleanup"}, missed="run_once")
    | cron("every sunday at 04:00", name="vacuum", kwargs={"task": "vacuum"}),
)
def maintenance(**kwargs: Any) -> dict[str, Any]:
    """Deletes rows past their retention and vacuums the store; returns the rows deleted per table."""
    params = parse_params(MaintenanceParams, kwargs, "maintenance")
    job = current_job()
    job.raise_if_cancelled()
    tasks = params.chosen_tasks()
    mutex = ConcurrentRateLimiter(  # type: ignore[no-untyped-call]
        rate_limiter_backend(maintenance.broker), MUTEX_KEY, limit=1, ttl=TIME_LIMIT_MS
    )
    with mutex.acquire(raise_on_failure=False) as acquired:
        if not acquired:
            busy = MaintenanceSummary(dry_run=params.dry_run, tasks=list(tasks)).as_dict()
            return {**busy, "skipped_busy": "another maintenance job is running"}
        settings = get_settings()
        summary = run_maintenance(
            create_store_engine(settings.database_url),
            settings,
            tasks=tasks,
            broker=maintenance.broker,
            batch_size=params.batch_size,
            dry_run=params.dry_run,
            should_stop=lambda: job.cancelled,  # the job then ends as cancelled, keeping the counts so far
            progress=job.progress,
        )
    job.progress(100.0, f"deleted {sum(summary.deleted.values())} rows")
    return summary.as_dict()
