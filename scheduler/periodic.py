"""What an actor's ``periodic`` option holds: its default schedules, read by periodiq and by our scheduler.

Actors declare their default schedules the periodiq way, with :func:`scheduler.periodiq_compat.cron`::

    @dramatiq.actor(periodic=cron("every weekday at 16:30", timezone="America/New_York", missed="run_once"))
    def portfolio_analysis(**kwargs: Any) -> dict[str, Any]: ...

    @dramatiq.actor(
        periodic=cron("every day at 03:00", kwargs={"task": "cleanup"})
        | cron("every sunday at 04:00", name="vacuum", kwargs={"task": "vacuum"})
    )
    def maintenance(**kwargs: Any) -> dict[str, Any]: ...

A :class:`Periodic` is one or more :class:`PeriodicSchedule` joined with ``|``. It implements what periodiq's
scheduler calls (``validate``, ``next_valid_date``, ``str``), so ``periodiq actors`` runs the actors on one
host; ``marketjobs scheduler`` reads the same declarations with :func:`declared_schedules` (plus the YAML
``schedules:`` overrides) and runs them leader-locked on several. The schedule's name, message kwargs and
missed policy are ours: periodiq ignores them, except that :class:`scheduler.middleware.PeriodicMiddleware`
gives its ticks the kwargs of the schedule that fired.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import dramatiq
import pendulum

from marketjobs.errors import ScheduleError
from scheduler.definitions import MissedPolicy, ScheduleDefinition, check_missed, parse_spellings
from scheduler.nextrun import fires_at, next_run
from scheduler.spec import ScheduleSpec

__all__ = ["PERIODIC_OPTION", "Periodic", "PeriodicSchedule", "declared_schedules"]

#: The actor option that holds a :class:`Periodic` (periodiq's name for it).
PERIODIC_OPTION = "periodic"


@dataclass(frozen=True)
class PeriodicSchedule:
    """One schedule declared on an actor: when (``spelling``, several joined by ``;``, in ``timezone``), the
    message's ``kwargs``, the ``missed`` policy, and its ``name`` (default: the actor's name)."""

    spelling: str
    timezone: str = "UTC"
    name: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict, hash=False)
    missed: MissedPolicy = "skip"

    def __post_init__(self) -> None:
        label = self.name or self.spelling
        check_missed(label, self.missed)
        try:
            self.specs  # noqa: B018  (parse now: a bad spelling fails the actor's import)
        except ScheduleError as exc:
            raise ScheduleError(f"schedule {label!r}: {exc}") from None

    @cached_property
    def specs(self) -> tuple[ScheduleSpec, ...]:
        """The parsed spellings."""
        return parse_spellings(self.spelling, timezone=self.timezone)

    def fires_at(self, instant: datetime) -> bool:
        """Whether any spelling fires at the minute of ``instant`` (aware)."""
        return any(fires_at(spec, instant) for spec in self.specs)

    def definition(self, actor: str) -> ScheduleDefinition:
        """The schedule of ``actor`` as the scheduler runs it."""
        return ScheduleDefinition(
            self.name or actor, self.spelling, actor, self.timezone, copy.deepcopy(self.kwargs), self.missed
        )

    def __str__(self) -> str:
        crons = "; ".join(spec.cron for spec in self.specs)
        return crons if self.timezone == "UTC" else f"{crons} {self.timezone}"


@dataclass(frozen=True)
class Periodic:
    """The default schedules of one actor; ``a | b`` joins two. periodiq's scheduler uses ``validate``,
    ``next_valid_date`` and ``str``; :func:`declared_schedules` uses :meth:`definitions`."""

    schedules: tuple[PeriodicSchedule, ...]

    def __post_init__(self) -> None:
        names = [schedule.name for schedule in self.schedules]
        if not names:
            raise ScheduleError("an actor's periodic needs at least one schedule: periodic=cron('@daily')")
        for name in dict.fromkeys(names):
            if names.count(name) > 1:
                shown = "the actor's name" if name is None else repr(name)
                raise ScheduleError(
                    f"two schedules of one actor are named {shown}; give each cron(..., name='...')"
                )

    def __or__(self, other: Periodic) -> Periodic:
        return Periodic((*self.schedules, *other.schedules))

    def __str__(self) -> str:
        return " | ".join(str(schedule) for schedule in self.schedules)

    def validate(self, date: datetime) -> bool:
        """Whether a schedule fires at the minute of ``date`` (aware, any timezone); periodiq's check."""
        return any(schedule.fires_at(date) for schedule in self.schedules)

    def next_valid_date(self, last: datetime) -> pendulum.DateTime:
        """The next run strictly after ``last``, in ``last``'s timezone as periodiq's scheduler expects."""
        following = min(next_run(spec, last) for schedule in self.schedules for spec in schedule.specs)
        return pendulum.instance(following.astimezone(last.tzinfo))

    def firing_at(self, instant: datetime) -> tuple[PeriodicSchedule, ...]:
        """The schedules that fire at the minute of ``instant`` (aware)."""
        return tuple(schedule for schedule in self.schedules if schedule.fires_at(instant))

    def definitions(self, actor: str) -> tuple[ScheduleDefinition, ...]:
        """The schedules of ``actor`` as the scheduler runs them."""
        return tuple(schedule.definition(actor) for schedule in self.schedules)


def not_ours(actor: str, periodic: object) -> str:
    """What is wrong with an actor whose ``periodic`` option is not a :class:`Periodic`, and the fix."""
    return (
        f"actor {actor!r} has periodic={periodic!r}: use scheduler.periodiq_compat.cron(...), which fires "
        "on Sundays, reads its own timezone and is what `marketjobs scheduler` reads (periodiq's own cron() "
        "does neither)"
    )


def declared_schedules(broker: dramatiq.Broker) -> list[ScheduleDefinition]:
    """The schedules declared with ``periodic=cron(...)`` by the actors on ``broker``, by actor name."""
    by_name: dict[str, ScheduleDefinition] = {}
    for actor_name in sorted(broker.get_declared_actors()):
        periodic = broker.get_actor(actor_name).options.get(PERIODIC_OPTION)
        if periodic is None:
            continue
        if not isinstance(periodic, Periodic):
            raise ScheduleError(not_ours(actor_name, periodic))
        for definition in periodic.definitions(actor_name):
            if definition.name in by_name:
                raise ScheduleError(
                    f"schedule {definition.name!r} is declared by actors {by_name[definition.name].actor!r} "
                    f"and {actor_name!r}; give one of them cron(..., name='...')"
                )
            by_name[definition.name] = definition
    return list(by_name.values())
