"""Schedule definitions: the ones actors declare (see :mod:`scheduler.periodic`), merged with the user's
from the YAML ``schedules:`` list.

A schedule names an actor (job type) by name. Schedules whose actor is not declared on the broker yet are
skipped by the scheduler (logged once, counted), so they start running as soon as the actor module lands.

A spelling may join several spellings with ``;``: the schedule fires whenever any of them does. NYSE hours
need it, because 09:30-16:00 every 5 minutes is not one cron line::

    "30-55/5 9 * * mon-fri; */5 10-15 * * mon-fri; 0 16 * * mon-fri"
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from marketjobs.config import ScheduleEntry, Settings
from marketjobs.errors import ScheduleError
from scheduler.nextrun import next_run
from scheduler.spec import ScheduleSpec, parse_schedule

__all__ = [
    "MARKET_TIMEZONE",
    "NYSE_EVERY_5_MINUTES",
    "MissedPolicy",
    "ScheduleDefinition",
    "check_missed",
    "configured_schedules",
    "parse_spellings",
]

#: The timezone of the NYSE session.
MARKET_TIMEZONE = "America/New_York"
#: Every 5 minutes from the 09:30 open to the 16:00 close, Monday to Friday (three cron lines).
NYSE_EVERY_5_MINUTES = "30-55/5 9 * * mon-fri; */5 10-15 * * mon-fri; 0 16 * * mon-fri"

#: "skip": drop ticks missed while no scheduler ran; "run_once": one catch-up run, then resume.
MissedPolicy = Literal["skip", "run_once"]


def parse_spellings(spelling: str, *, timezone: str = "UTC") -> tuple[ScheduleSpec, ...]:
    """Parses a spelling, or several joined by ``;``; ScheduleError lists the accepted forms."""
    parts = [part.strip() for part in spelling.split(";") if part.strip()]
    if not parts:
        raise ScheduleError(f"schedule {spelling!r} is empty; write e.g. 'every 5 minutes' or '*/5 * * * *'")
    return tuple(parse_schedule(part, timezone=timezone) for part in parts)


def check_missed(name: str, missed: str) -> None:
    """Raises ScheduleError unless ``missed`` is a :data:`MissedPolicy`."""
    if missed not in ("skip", "run_once"):
        raise ScheduleError(f"schedule {name!r}: missed must be 'skip' or 'run_once', not {missed!r}")


@dataclass(frozen=True)
class ScheduleDefinition:
    """A recurring job: when (``spelling`` in ``timezone``), what (``actor``, ``kwargs``), missed policy."""

    name: str
    spelling: str
    actor: str
    timezone: str = "UTC"
    kwargs: dict[str, Any] = field(default_factory=dict, hash=False)
    missed: MissedPolicy = "skip"

    def __post_init__(self) -> None:
        check_missed(self.name, self.missed)
        try:
            self.specs  # noqa: B018  (parse now: a bad spelling is an error at start)
        except ScheduleError as exc:
            raise ScheduleError(f"schedule {self.name!r}: {exc}") from None

    @cached_property
    def specs(self) -> tuple[ScheduleSpec, ...]:
        """The parsed spellings."""
        return parse_spellings(self.spelling, timezone=self.timezone)

    def next_after(self, after: datetime) -> datetime:
        """The first run strictly after ``after`` (aware), as aware UTC."""
        return min(next_run(spec, after) for spec in self.specs)

    def upcoming(self, after: datetime, n: int) -> list[datetime]:
        """The next ``n`` runs after ``after``, as aware UTC."""
        runs: list[datetime] = []
        for _ in range(n):
            after = self.next_after(after)
            runs.append(after)
        return runs


def _from_entry(entry: ScheduleEntry) -> ScheduleDefinition:
    return ScheduleDefinition(
        entry.name, entry.schedule, entry.actor, entry.timezone, dict(entry.kwargs), entry.missed
    )


def configured_schedules(
    settings: Settings, declared: Iterable[ScheduleDefinition]
) -> list[ScheduleDefinition]:
    """The ``declared`` schedules (see :func:`scheduler.periodic.declared_schedules`), then the settings'
    ``schedules``; a config entry replaces a declared schedule of the same name."""
    by_name = {definition.name: definition for definition in declared}
    seen: set[str] = set()
    for entry in settings.schedules:
        if entry.name in seen:
            raise ScheduleError(
                f"schedule {entry.name!r} appears twice in the config; give each a unique name"
            )
        seen.add(entry.name)
        by_name[entry.name] = _from_entry(entry)
    return list(by_name.values())
