"""Schedules: list them with their next runs, enable, disable, run now (as ``marketjobs schedules``).

The enabled flag lives in SQL: a running scheduler sees a change on its next pass. Run-now sends the
schedule's job at once without touching its ticks.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from interfaces.api.auth import Operator, Viewer
from interfaces.api.deps import BrokerDep, SettingsDep, Store
from marketjobs import clock
from marketjobs.redact import redact
from scheduler.control import (
    UPCOMING_RUNS,
    definitions_for,
    run_schedule_now,
    schedule_views,
    set_schedule_enabled,
)
from scheduler.definitions import ScheduleDefinition
from scheduler.runner import BrokerEnqueuer

__all__ = ["ScheduleOut", "ScheduleRan", "ScheduleToggled", "router"]

router = APIRouter(prefix="/api/schedules", tags=["schedules"])


class ScheduleOut(BaseModel):
    """One schedule (times are ISO-8601 UTC)."""

    name: str
    schedule: str = Field(description="the spelling: cron, @macro or plain English; several joined by ';'")
    timezone: str
    actor: str = Field(description="the job type each tick sends")
    kwargs: Any = Field(description="the job's parameters, redacted")
    enabled: bool
    missed: str = Field(description="what missed ticks do: skip or run_once")
    configured: bool = Field(description="false: stored but no longer configured (it never runs)")
    next_runs: list[str] = Field(description=f"the next {UPCOMING_RUNS} runs (none while disabled)")
    next_run_at: str | None
    last_tick_at: str | None
    last_enqueued_at: str | None
    enqueued_count: int


class ScheduleToggled(BaseModel):
    """A schedule enabled or disabled."""

    name: str
    enabled: bool


class ScheduleRan(BaseModel):
    """A schedule's job sent now."""

    name: str
    id: str = Field(description="the job sent")


def _definitions(
    settings: SettingsDep, broker: BrokerDep, name: str | None = None
) -> dict[str, ScheduleDefinition]:
    definitions = definitions_for(settings, broker)
    if name is not None and name not in definitions:
        known = ", ".join(sorted(definitions))
        raise HTTPException(404, f"no schedule named {name!r}; the schedules are: {known}")
    return definitions


@router.get("", response_model=list[ScheduleOut], summary="Every schedule with its next runs")
def list_schedules(
    principal: Viewer, engine: Store, settings: SettingsDep, broker: BrokerDep
) -> list[ScheduleOut]:
    """Spelling, timezone, job type, redacted parameters, enabled flag, next runs and last tick."""
    views = schedule_views(engine, _definitions(settings, broker), clock.now())
    return [ScheduleOut(**{**view, "kwargs": redact(view["kwargs"])}) for view in views]


def _toggle(engine: Store, settings: SettingsDep, broker: BrokerDep, name: str, on: bool) -> ScheduleToggled:
    set_schedule_enabled(engine, _definitions(settings, broker, name), name, on, clock.now())
    return ScheduleToggled(name=name, enabled=on)


@router.post("/{name}/enable", response_model=ScheduleToggled, summary="Enable a schedule")
def enable(
    principal: Operator, engine: Store, settings: SettingsDep, broker: BrokerDep, name: str
) -> ScheduleToggled:
    """It next runs at its next tick from now (the time spent disabled is not a run of missed ticks)."""
    return _toggle(engine, settings, broker, name, True)


@router.post("/{name}/disable", response_model=ScheduleToggled, summary="Disable a schedule")
def disable(
    principal: Operator, engine: Store, settings: SettingsDep, broker: BrokerDep, name: str
) -> ScheduleToggled:
    """The scheduler stops sending it from its next pass."""
    return _toggle(engine, settings, broker, name, False)


@router.post("/{name}/run-now", response_model=ScheduleRan, summary="Send a schedule's job now")
def run_now(
    principal: Operator, engine: Store, settings: SettingsDep, broker: BrokerDep, name: str
) -> ScheduleRan:
    """Sends the job at once, outside the schedule's ticks (its next tick is unchanged)."""
    definitions = _definitions(settings, broker, name)
    job_id = run_schedule_now(engine, definitions, name, BrokerEnqueuer(broker), clock.now())
    return ScheduleRan(name=name, id=job_id)
