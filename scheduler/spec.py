"""Schedule spellings (5-field cron, ``@`` macros, plain English) normalised to cron fields in a timezone.

>>> parse_schedule("every weekday at 16:30", timezone="America/New_York").cron
'30 16 * * 1-5'
>>> parse_schedule("0 4 * * sun").days_of_week
(0,)

Day of week counts from Sunday = 0 (7 is accepted for Sunday too). When both day of month and day of week
are restricted (neither covers its whole range), a day matches if *either* matches: cron's OR rule. A field
counts as restricted by the set of values it allows, so ``1-31`` is the same as ``*``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marketjobs.errors import ScheduleError

__all__ = ["ACCEPTED_FORMS", "FIELDS", "MACROS", "CronFields", "ScheduleSpec", "parse_schedule"]

#: What :func:`parse_schedule` accepts; every :class:`ScheduleError` message ends with it.
ACCEPTED_FORMS = """accepted schedule forms:
  cron, 5 fields   minute hour day-of-month month day-of-week, e.g. "*/5 9-16 * * mon-fri", "30 2 1,15 * *",
                   "0 4 * * 0" (ranges a-b, lists a,b, steps */n or a-b/n; names jan-dec and sun-sat;
                   Sunday is 0 or 7)
  macros           @hourly, @daily (@midnight), @weekly, @monthly, @yearly (@annually)
  plain English    "every minute", "every 5 minutes", "every hour", "every 2 hours", "every day at 2:30",
                   "every Monday at 9:00", "every weekday at 16:30", "every weekend at 10am",
                   "every sunday at 04:00", "every monday, wednesday and friday at 7:15 pm"
  timezone         an IANA name passed beside the spelling, e.g. timezone="America/New_York" (default UTC)"""

#: ``@`` macros and the cron fields they stand for.
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

#: (name, lowest, highest) of the five cron fields in order; day of week is stored 0-6 (Sunday = 0).
FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 6),
)

#: The five value tuples of a schedule in cron order.
CronFields = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_LONG_DAYS = {
    f"{name}day": i for i, name in enumerate(("sun", "mon", "tues", "wednes", "thurs", "fri", "satur"))
}
_PART = re.compile(r"(?P<start>\*|[a-z0-9]+)(?:-(?P<end>[a-z0-9]+))?(?:/(?P<step>[0-9]+))?")
_EVERY_UNIT = re.compile(r"every\s+(?:(?P<count>\d+)\s+)?(?P<unit>minute|hour)s?")
_EVERY_DAY = re.compile(r"every\s+(?P<days>.+?)(?:\s+at\s+(?P<time>.+))?")
_TIME = re.compile(r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>am|pm)?")


@dataclass(frozen=True)
class ScheduleSpec:
    """A schedule as cron fields (sorted tuples of allowed values) read on the wall clock of ``timezone``."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days_of_month: tuple[int, ...]
    months: tuple[int, ...]
    #: 0 = Sunday ... 6 = Saturday.
    days_of_week: tuple[int, ...]
    timezone: str = "UTC"
    #: The spelling this spec was parsed from (not part of equality).
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for (name, low, high), values in zip(FIELDS, self.fields, strict=True):
            if not values or list(values) != sorted(set(values)) or values[0] < low or values[-1] > high:
                raise ScheduleError(f"{name} values {values} must be sorted, unique and within {low}-{high}")
        _zone(self.timezone)
        if not (self.dom_restricted and self.dow_restricted) and not any(
            day <= calendar.monthrange(2024, month)[1] for month in self.months for day in self.days_of_month
        ):
            raise ScheduleError(
                f"schedule {self.source or self.cron!r} never fires: no month in {self.months} "
                f"has day {self.days_of_month}; pick days at least one chosen month has\n{ACCEPTED_FORMS}"
            )

    @property
    def fields(self) -> CronFields:
        """The five value tuples in cron order."""
        return (self.minutes, self.hours, self.days_of_month, self.months, self.days_of_week)

    @cached_property
    def tz(self) -> ZoneInfo:
        """The timezone whose wall clock the fields are read on."""
        return _zone(self.timezone)

    @property
    def dom_restricted(self) -> bool:
        """True when day of month does not allow every day 1-31."""
        return len(self.days_of_month) < 31

    @property
    def dow_restricted(self) -> bool:
        """True when day of week does not allow all seven days."""
        return len(self.days_of_week) < 7

    @property
    def every_hour(self) -> bool:
        """True when the hour field allows all 24 hours (such jobs also run in a repeated DST hour)."""
        return len(self.hours) == 24

    @property
    def cron(self) -> str:
        """The normalised 5-field cron spelling (Sunday as 0)."""
        return " ".join(
            _format(values, low, high) for (_, low, high), values in zip(FIELDS, self.fields, strict=True)
        )

    def matches_date(self, day: date) -> bool:
        """Whether ``day`` (a local date) is a run day: month, then day of month / day of week (OR rule)."""
        if day.month not in self.months:
            return False
        dom = day.day in self.days_of_month
        dow = day.isoweekday() % 7 in self.days_of_week
        if self.dom_restricted and self.dow_restricted:
            return dom or dow
        return dom and dow

    def matches(self, wall: datetime) -> bool:
        """Whether the local wall time ``wall`` (seconds ignored) is one the fields select."""
        return wall.minute in self.minutes and wall.hour in self.hours and self.matches_date(wall.date())


def parse_schedule(text: str, *, timezone: str = "UTC") -> ScheduleSpec:
    """Parses a cron line, an ``@`` macro or plain English; ScheduleError lists the accepted forms."""
    spelling = " ".join(text.lower().split())
    _zone(timezone)
    if spelling.startswith("@"):
        if spelling not in MACROS:
            raise _error(text, f"unknown macro {spelling!r}")
        fields = _cron_fields(text, MACROS[spelling])
    elif spelling.startswith("every"):
        fields = _english_fields(text, spelling)
    else:
        fields = _cron_fields(text, spelling)
    return ScheduleSpec(*fields, timezone=timezone, source=text)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder ("America"), a name too long
        raise ScheduleError(
            f"unknown timezone {name!r}: use an IANA name such as 'America/New_York' or 'UTC'"
        ) from None


def _error(text: str, problem: str) -> ScheduleError:
    return ScheduleError(f"cannot parse schedule {text!r}: {problem}\n{ACCEPTED_FORMS}")


def _cron_fields(text: str, spelling: str) -> CronFields:
    parts = spelling.split()
    if len(parts) != 5:
        raise _error(
            text, f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(parts)}"
        )
    minutes, hours, days, months, weekdays = (_cron_field(text, part, i) for i, part in enumerate(parts))
    return minutes, hours, days, months, weekdays


def _cron_field(text: str, part: str, index: int) -> tuple[int, ...]:
    name, low, high = FIELDS[index]
    names = _DAY_NAMES if index == 4 else _MONTH_NAMES if index == 3 else ()
    top = 7 if index == 4 else high  # 7 is Sunday too
    values: set[int] = set()
    for item in part.split(","):
        match = _PART.fullmatch(item)
        if match is None:
            raise _error(text, f"{name} field {part!r}: {item!r} is not a value, range a-b, list or step /n")
        start_text, end_text, step_text = match.group("start", "end", "step")
        step = int(step_text) if step_text else 1
        if start_text == "*":
            if end_text:
                raise _error(text, f"{name} field {part!r}: '*' cannot start a range")
            start, end = low, high
        else:
            start = _value(text, name, start_text, names)
            end = _value(text, name, end_text, names) if end_text else (top if step_text else start)
            if index == 4 and end_text == "sun" and start > 0:
                end = 7  # "fri-sun" ends on the Sunday after Friday
        if not (low <= start <= end <= top) or step < 1:
            raise _error(text, f"{name} field {part!r}: {item!r} must stay within {low}-{top}, low to high")
        values.update(value % 7 if index == 4 else value for value in range(start, end + 1, step))
    return tuple(sorted(values))


def _value(text: str, field_name: str, token: str, names: tuple[str, ...]) -> int:
    if token.isdigit():
        return int(token)
    if token in names:
        return names.index(token) + (1 if names is _MONTH_NAMES else 0)
    allowed = ", ".join(names) or "none"
    raise _error(text, f"{field_name}: {token!r} is neither a number nor a name ({allowed})")


def _english_fields(text: str, spelling: str) -> CronFields:
    all_days, all_months, all_dows = tuple(range(1, 32)), tuple(range(1, 13)), tuple(range(7))
    unit = _EVERY_UNIT.fullmatch(spelling)
    if unit is not None:
        count = int(unit.group("count") or 1)
        size = 60 if unit.group("unit") == "minute" else 24
        if count < 1 or size % count:
            divisors = ", ".join(str(d) for d in range(1, size + 1) if size % d == 0)
            raise _error(text, f"every {count} {unit.group('unit')}s is not a cron rhythm; use {divisors}")
        steps = tuple(range(0, size, count))
        if size == 60:
            return steps, tuple(range(24)), all_days, all_months, all_dows
        return (0,), steps, all_days, all_months, all_dows
    match = _EVERY_DAY.fullmatch(spelling)
    if match is None:
        raise _error(text, "plain English starts with 'every' and names a unit or days")
    hour, minute = _time(text, match.group("time") or "0:00")
    return (minute,), (hour,), all_days, all_months, _days(text, match.group("days"))


def _days(text: str, words: str) -> tuple[int, ...]:
    if words == "day":
        return tuple(range(7))
    if words == "weekday":
        return (1, 2, 3, 4, 5)
    if words == "weekend":
        return (0, 6)
    days: set[int] = set()
    for word in re.split(r"\s*,\s*|\s+and\s+", words):
        word = word.removesuffix("s") if word.endswith("days") else word
        if word in _DAY_NAMES:
            days.add(_DAY_NAMES.index(word))
        elif word in _LONG_DAYS:
            days.add(_LONG_DAYS[word])
        else:
            raise _error(text, f"{word!r} is not day, weekday, weekend or a day name (monday or mon)")
    return tuple(sorted(days))


def _time(text: str, spelling: str) -> tuple[int, int]:
    match = _TIME.fullmatch(spelling.replace(" ", "") if spelling.endswith(("am", "pm")) else spelling)
    if match is None:
        raise _error(text, f"time {spelling!r} is not H:MM (24-hour) or H[:MM]am/pm")
    hour, minute, half = int(match.group("hour")), int(match.group("minute") or 0), match.group("half")
    if half is not None:
        if not 1 <= hour <= 12:
            raise _error(text, f"time {spelling!r}: with am/pm the hour is 1-12")
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        raise _error(text, f"time {spelling!r} is not a time of day (00:00-23:59)")
    return hour, minute


def _format(values: tuple[int, ...], low: int, high: int) -> str:
    if values == tuple(range(low, high + 1)):
        return "*"
    step = values[1] - values[0] if len(values) > 2 else 0
    if step > 1 and values == tuple(range(values[0], values[-1] + 1, step)):
        whole = values[0] == low and values[-1] + step > high
        return f"*/{step}" if whole else f"{values[0]}-{values[-1]}/{step}"
    runs: list[str] = []
    start = previous = values[0]
    for value in (*values[1:], None):
        if value is not None and value == previous + 1:
            previous = value
            continue
        runs.append(str(start) if start == previous else f"{start}-{previous}")
        if value is not None:
            start = previous = value
    return ",".join(runs)
