"""Pure next-run times: the first instant after a given one at which a :class:`ScheduleSpec` fires.

Instants go in and out as aware UTC datetimes; the fields are read on the wall clock of ``spec.timezone``.
Daylight-saving rules (tested for America/New_York):

- Spring forward (a gap): a wall time that does not exist fires once, at the first instant after the gap.
  A daily 02:30 job runs at 03:00 EDT on the day clocks jump from 02:00 to 03:00; every missing minute of an
  every-5-minutes job collapses into that same single 03:00 run.
- Fall back (a repeated hour): a job pinned to hours fires in the first pass only, so a daily 01:30 job runs
  once. A job whose hour field is ``*`` follows the clock through both passes, so "every 5 minutes" keeps
  its rhythm in elapsed time.

>>> from datetime import datetime, timezone
>>> from scheduler.spec import parse_schedule
>>> spec = parse_schedule("every day at 2:30", timezone="America/New_York")
>>> next_run(spec, datetime(2026, 3, 8, 6, 0, tzinfo=UTC)).isoformat()
'2026-03-08T07:00:00+00:00'
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from marketjobs.errors import ScheduleError
from scheduler.spec import ScheduleSpec

__all__ = ["HORIZON_DAYS", "fires_at", "next_run", "upcoming"]

#: How far next_run looks before giving up; covers the 8-year gap between Feb 29ths around 2100.
HORIZON_DAYS = 366 * 12

_ONE_DAY = timedelta(days=1)
_LAST_MINUTE = timedelta(minutes=59)


def next_run(spec: ScheduleSpec, after: datetime) -> datetime:
    """The first instant strictly after ``after`` (aware) at which ``spec`` fires, as aware UTC."""
    after = _as_utc(after)
    tz = spec.tz
    first_day = after.astimezone(tz).date() - _ONE_DAY  # a repeated hour may run past local midnight
    best: datetime | None = None
    stop_day: date | None = None
    for offset in range(HORIZON_DAYS):
        day = first_day + timedelta(days=offset)
        if spec.matches_date(day):
            for instant in _day_instants(spec, day, tz):
                if instant > after and (best is None or instant < best):
                    best = instant
        if best is not None:
            stop_day = stop_day or day + _ONE_DAY  # look one day further, then answer
            if day >= stop_day:
                return best
    if best is not None:
        return best
    raise ScheduleError(
        f"schedule {spec.cron!r} has no run within {HORIZON_DAYS} days of {after.isoformat()}"
    )


def upcoming(spec: ScheduleSpec, after: datetime, n: int) -> list[datetime]:
    """The next ``n`` run instants after ``after``, in order, as aware UTC."""
    runs: list[datetime] = []
    for _ in range(n):
        after = next_run(spec, after)
        runs.append(after)
    return runs


def fires_at(spec: ScheduleSpec, instant: datetime) -> bool:
    """Whether ``spec`` fires at the minute containing ``instant`` (aware)."""
    minute = _as_utc(instant).replace(second=0, microsecond=0)
    return next_run(spec, minute - timedelta(microseconds=1)) == minute


def _as_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant!r} is naive: pass an aware datetime, e.g. datetime.now(UTC)")
    return instant.astimezone(UTC)


def _day_instants(spec: ScheduleSpec, day: date, tz: ZoneInfo) -> Iterator[datetime]:
    """Every instant at which ``spec`` fires on local date ``day`` (assumed a run day), unordered."""
    for hour in spec.hours:
        start = datetime.combine(day, time(hour))
        offset = _steady_offset(start, tz)
        if offset is not None:
            base = (start - offset).replace(tzinfo=UTC)
            for minute in spec.minutes:
                yield base + timedelta(minutes=minute)
        else:
            for minute in spec.minutes:
                yield from _wall_instants(start.replace(minute=minute), tz, both_passes=spec.every_hour)


def _steady_offset(start: datetime, tz: ZoneInfo) -> timedelta | None:
    """The UTC offset of the local hour beginning at ``start`` when it has no gap or repeat, else None."""
    offsets = {
        wall.replace(tzinfo=tz, fold=fold).utcoffset()
        for wall in (start, start + _LAST_MINUTE)
        for fold in (0, 1)
    }
    return offsets.pop() if len(offsets) == 1 else None


def _wall_instants(wall: datetime, tz: ZoneInfo, *, both_passes: bool) -> list[datetime]:
    """The instants of naive local ``wall``: one, two in a repeated hour, or the gap's end for a gap."""
    before = wall.replace(tzinfo=tz, fold=0).utcoffset()
    after = wall.replace(tzinfo=tz, fold=1).utcoffset()
    assert before is not None
    assert after is not None
    first = (wall - before).replace(tzinfo=UTC)
    second = (wall - after).replace(tzinfo=UTC)
    if before == after:
        return [first]
    if before > after:  # clocks went back: the wall time happens twice
        return [first, second] if both_passes else [first]
    return [_transition(second, first, tz)]  # clocks jumped over it: run when the gap ends


def _transition(low: datetime, high: datetime, tz: ZoneInfo) -> datetime:
    """The first whole second in (low, high] with ``high``'s offset (bisection; low has the old offset)."""
    old = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = (low + (high - low) / 2).replace(microsecond=0)
        if middle.astimezone(tz).utcoffset() == old:
            low = middle
        else:
            high = middle
    return high
