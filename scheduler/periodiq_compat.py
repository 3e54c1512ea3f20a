"""periodiq schedules that fire on Sundays and in their own timezone.

periodiq 0.14 declares a schedule with ``@dramatiq.actor(periodic=periodiq.cron("0 4 * * 0"))`` and runs it
with the ``periodiq`` command (plus ``PeriodiqMiddleware`` on the broker so the ``periodic`` option is
known). Its ``CronSpec.validate`` compares ``isoweekday()`` (Monday 1 ... Sunday 7) with day-of-week values
where Sunday is 0, so ``0``, ``sun`` and ``@weekly`` never fire; it also reads the clock of the process's
local timezone. Use this module's :func:`cron` in place of ``periodiq.cron``::

    import dramatiq
    from scheduler.periodiq_compat import cron

    @dramatiq.actor(periodic=cron("every sunday at 04:00", timezone="America/New_York"))
    def vacuum() -> None: ...

It accepts every spelling of :func:`scheduler.spec.parse_schedule` (5-field cron, ``@weekly``, plain English)
and returns a :class:`SpecCronSpec`: a periodiq ``CronSpec`` whose ``validate`` and ``next_valid_date``
defer to :func:`scheduler.nextrun.next_run`, so Sundays fire and DST follows the rules documented there.
``periodiq`` itself (its scheduler loop, CLI and middleware) is used unchanged.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pendulum
from periodiq import CronSpec  # type: ignore[import-untyped]

from scheduler.nextrun import fires_at, next_run
from scheduler.spec import ScheduleSpec, parse_schedule

__all__ = ["SpecCronSpec", "cron"]


def cron(spec: str | ScheduleSpec, *, timezone: str = "UTC") -> SpecCronSpec:
    """A periodiq schedule from any accepted spelling (or a parsed spec); drop-in for ``periodiq.cron``."""
    if isinstance(spec, str):
        spec = parse_schedule(spec, timezone=timezone)
    return SpecCronSpec(spec)


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
