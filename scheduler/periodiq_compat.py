"""periodiq schedules that fire on Sundays, in their own timezone, with our schedules' name, kwargs and
missed policy.

periodiq 0.14 declares a schedule with ``@dramatiq.actor(periodic=periodiq.cron("0 4 * * 0"))`` and runs it
with the ``periodiq`` command (plus a middleware on the broker so the ``periodic`` option is known). Its
``CronSpec.validate`` compares ``isoweekday()`` (Monday 1 ... Sunday 7) with day-of-week values where Sunday
is 0, so ``0``, ``sun`` and ``@weekly`` never fire; it also reads the clock of the process's local timezone.
Use this module's :func:`cron` in place of ``periodiq.cron``::

    import dramatiq
    from scheduler.periodiq_compat import cron

    @dramatiq.actor(periodic=cron("every sunday at 04:00", timezone="America/New_York"))
    def vacuum() -> None: ...

It accepts every spelling of :func:`scheduler.spec.parse_schedule` (5-field cron, ``@weekly``, plain English),
several joined by ``;``, and returns a :class:`~scheduler.periodic.Periodic` whose ``validate`` and
``next_valid_date`` defer to :func:`scheduler.nextrun.next_run`, so Sundays fire and DST follows the rules
documented there. ``marketjobs scheduler`` reads the same declaration (see :mod:`scheduler.periodic`).
``periodiq`` itself (its scheduler loop and CLI) is used unchanged. :class:`SpecCronSpec` is a drop-in
``periodiq.CronSpec`` for one cron line, for code that needs periodiq's own type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import pendulum
from periodiq import CronSpec  # type: ignore[import-untyped]

from scheduler.definitions import MissedPolicy
from scheduler.nextrun import fires_at, next_run
from scheduler.periodic import Periodic, PeriodicSchedule
from scheduler.spec import ScheduleSpec

__all__ = ["SpecCronSpec", "cron"]


def cron(
    spelling: str | ScheduleSpec,
    *,
    timezone: str = "UTC",
    name: str | None = None,
    kwargs: Mapping[str, Any] | None = None,
    missed: MissedPolicy = "skip",
) -> Periodic:
    """An actor's schedule, for ``@dramatiq.actor(periodic=...)``; join several with ``|``.

    ``spelling`` is any accepted spelling, several joined by ``;``, read in ``timezone`` (or a parsed spec,
    which brings its own timezone). ``name`` (default: the actor's name), ``kwargs`` (the message's keyword
    arguments) and ``missed`` ("skip" or "run_once" after a scheduler outage) are read by ``marketjobs
    scheduler``; under ``periodiq`` the middleware gives each tick the ``kwargs`` of the schedule that fired.

    >>> str(cron("every weekday at 16:30", timezone="America/New_York"))
    '30 16 * * 1-5 America/New_York'
    """
    if isinstance(spelling, ScheduleSpec):
        text, timezone = spelling.cron, spelling.timezone
    else:
        text = spelling
    schedule = PeriodicSchedule(text, timezone, name, dict(kwargs or {}), missed)
    return Periodic((schedule,))


class SpecCronSpec(CronSpec):  # type: ignore[misc]
    """A periodiq ``CronSpec`` backed by a :class:`ScheduleSpec`: Sunday-correct and timezone-aware."""

    def __init__(self, spec: ScheduleSpec) -> None:
        self.spec = spec
        minutes, hours, days, months, weekdays = (list(values) for values in spec.fields)
        super().__init__(minutes, hours, days, months, weekdays)
        self.parsed_from = f"{spec.cron} {spec.timezone}" if spec.timezone != "UTC" else spec.cron

    def validate(self, date: datetime) -> bool:
        """Whether the schedule fires at the minute of ``date`` (an aware datetime, any timezone)."""
        return fires_at(self.spec, date)

    def next_valid_date(self, last: datetime) -> pendulum.DateTime:
        """The next run strictly after ``last``, in ``last``'s timezone as periodiq's scheduler expects."""
        return pendulum.instance(next_run(self.spec, last).astimezone(last.tzinfo))

    def replace(
        self,
        m: list[int] | None = None,
        h: list[int] | None = None,
        dom: list[int] | None = None,
        month: list[int] | None = None,
        dow: list[int] | None = None,
    ) -> SpecCronSpec:
        """A copy with some fields replaced, like periodiq's ``CronSpec.replace`` (weekday 7 is Sunday)."""
        spec = self.spec
        return SpecCronSpec(
            replace(
                spec,
                minutes=_values(m, spec.minutes),
                hours=_values(h, spec.hours),
                days_of_month=_values(dom, spec.days_of_month),
                months=_values(month, spec.months),
                days_of_week=tuple(sorted({day % 7 for day in _values(dow, spec.days_of_week)})),
            )
        )


def _values(new: list[int] | None, old: tuple[int, ...]) -> tuple[int, ...]:
    return old if new is None else tuple(sorted(set(new)))
