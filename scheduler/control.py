"""Controlling schedules from the CLI and the API: list them with their next runs, enable, disable, run now.

Enabled flags live in SQL, so a running scheduler sees a change on its next pass. Every function first
syncs the configured definitions into the ``schedules`` table (as a scheduler does when it starts), so a
schedule is listed and controllable before any scheduler has run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dramatiq
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from marketjobs import clock
from marketjobs.config import Settings
from marketjobs.errors import ScheduleError
from marketjobs.store.schedules import Schedule
from scheduler.definitions import ScheduleDefinition, configured_schedules
from scheduler.periodic import declared_schedules
from scheduler.runner import Enqueuer, run_now, sync_schedules

__all__ = [
    "UPCOMING_RUNS",
    "definitions_for",
    "find_definition",
    "run_schedule_now",
    "schedule_views",
    "set_schedule_enabled",
]

#: How many upcoming runs a listing shows.
UPCOMING_RUNS = 3


def definitions_for(settings: Settings, broker: dramatiq.Broker) -> dict[str, ScheduleDefinition]:
    """The schedules the actors on ``broker`` declare (``periodic=cron(...)``), replaced by name by those
    of the settings, by name."""
    return {d.name: d for d in configured_schedules(settings, declared_schedules(broker))}


def find_definition(definitions: dict[str, ScheduleDefinition], name: str) -> ScheduleDefinition:
    """The definition named ``name``, or ScheduleError listing the known names."""
    if name not in definitions:
        known = ", ".join(sorted(definitions))
        raise ScheduleError(
            f"no schedule named {name!r}; known schedules: {known} (see `marketjobs schedules list`)"
        )
    return definitions[name]


def _iso(epoch_ms: int | None) -> str | None:
    return None if epoch_ms is None else clock.from_ms(epoch_ms).isoformat()


def schedule_views(
    engine: Engine,
    definitions: dict[str, ScheduleDefinition],
    now: datetime,
    *,
    upcoming: int = UPCOMING_RUNS,
) -> list[dict[str, Any]]:
    """Every stored schedule by name: spelling, timezone, actor, kwargs, enabled flag, the next
    ``upcoming`` runs (ISO-8601 UTC; none while disabled), last tick and messages sent."""
    sync_schedules(engine, definitions.values(), now)
    with Session(engine) as session:
        rows = session.execute(select(Schedule).order_by(Schedule.name)).scalars().all()
    items: list[dict[str, Any]] = []
    for row in rows:
        definition = definitions.get(row.name)
        runs = definition.upcoming(now, upcoming) if definition and row.enabled else []
        items.append(
            {
                "name": row.name,
                "schedule": row.spelling,
                "timezone": row.timezone,
                "actor": row.actor,
                "kwargs": row.kwargs,
                "enabled": row.enabled,
                "missed": row.missed,
                "configured": definition is not None,
                "next_runs": [run.isoformat() for run in runs],
                "next_run_at": _iso(row.next_run_at),
                "last_tick_at": _iso(row.last_tick_at),
                "last_enqueued_at": _iso(row.last_enqueued_at),
                "enqueued_count": row.enqueued_count,
            }
        )
    return items


def set_schedule_enabled(
    engine: Engine, definitions: dict[str, ScheduleDefinition], name: str, enabled: bool, now: datetime
) -> None:
    """Enables (from its next tick after ``now``: the time spent disabled is not a run of missed ticks)
    or disables schedule ``name``."""
    definition = find_definition(definitions, name)
    sync_schedules(engine, definitions.values(), now)
    values: dict[str, Any] = {"enabled": enabled}
    if enabled:
        values["next_run_at"] = clock.to_ms(definition.next_after(now))
    with engine.begin() as connection:
        connection.execute(update(Schedule).where(Schedule.name == name).values(**values))


def run_schedule_now(
    engine: Engine,
    definitions: dict[str, ScheduleDefinition],
    name: str,
    enqueuer: Enqueuer,
    now: datetime,
) -> str:
    """Sends schedule ``name``'s job now through ``enqueuer`` (e.g. a :class:`BrokerEnqueuer`), outside its
    ticks; returns the message id."""
    definition = find_definition(definitions, name)
    sync_schedules(engine, definitions.values(), now)
    return run_now(engine, definition, enqueuer, now)
