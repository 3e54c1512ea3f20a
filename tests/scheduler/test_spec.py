"""Schedule spellings parse to the expected cron fields; bad spellings raise errors that list the forms."""

from __future__ import annotations

import pytest

from marketjobs.errors import ConfigError, ScheduleError
from scheduler.spec import ACCEPTED_FORMS, ScheduleSpec, parse_schedule

ALL_DAYS = "*"


@pytest.mark.parametrize(
    ("spelling", "cron"),
    [
        # 5-field cron: values, ranges, lists, steps, names.
        ("0 4 * * *", "0 4 * * *"),
        ("*/5 9-16 * * 1-5", "*/5 9-16 * * 1-5"),
        ("30 9-16/2 * * *", "30 9-15/2 * * *"),
        ("5/15 * * * *", "5-50/15 * * * *"),
        ("0,30 0 1,15 * *", "0,30 0 1,15 * *"),
        ("0 0 1-31 1-12 0-6", "0 0 * * *"),
        ("0 0 * jan,jul *", "0 0 * 1,7 *"),
        ("0 0 * JAN-MAR *", "0 0 * 1-3 *"),
        ("0 9 * * mon-fri", "0 9 * * 1-5"),
        ("0 9 * * */2", "0 9 * * */2"),
        ("  0   9 * *   MON  ", "0 9 * * 1"),
        # Sunday as 0, 7 or sun.
        ("0 4 * * 0", "0 4 * * 0"),
        ("0 4 * * 7", "0 4 * * 0"),
        ("0 4 * * sun", "0 4 * * 0"),
        ("0 4 * * 1-7", "0 4 * * *"),
        ("0 4 * * 5-7", "0 4 * * 0,5-6"),
        ("0 4 * * sat,sun", "0 4 * * 0,6"),
        ("0 4 * * fri-sun", "0 4 * * 0,5-6"),
        ("0 4 * * sun-sat", "0 4 * * *"),
        # Macros.
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@WEEKLY", "0 0 * * 0"),
        # Plain English.
        ("every minute", "* * * * *"),
        ("every 1 minute", "* * * * *"),
        ("every 5 minutes", "*/5 * * * *"),
        ("every 30 minutes", "0,30 * * * *"),
        ("every 60 minutes", "0 * * * *"),
        ("every hour", "0 * * * *"),
        ("every 2 hours", "0 */2 * * *"),
        ("every day", "0 0 * * *"),
        ("every day at 2:30", "30 2 * * *"),
        ("every day at 02:30", "30 2 * * *"),
        ("Every Day At 14:05", "5 14 * * *"),
        ("every day at 9", "0 9 * * *"),
        ("every day at 12am", "0 0 * * *"),
        ("every day at 12pm", "0 12 * * *"),
        ("every day at 7:15 pm", "15 19 * * *"),
        ("every Monday at 9:00", "0 9 * * 1"),
        ("every mondays at 9:00", "0 9 * * 1"),
        ("every mon at 9:00", "0 9 * * 1"),
        ("every weekday at 16:30", "30 16 * * 1-5"),
        ("every weekend at 10am", "0 10 * * 0,6"),
        ("every sunday at 04:00", "0 4 * * 0"),
        ("every saturday and sunday at 6:00", "0 6 * * 0,6"),
        ("every monday, wednesday and friday at 07:15", "15 7 * * 1-5/2"),
        ("every tuesday, thursday at 8:00", "0 8 * * 2,4"),
    ],
)
def test_spelling_normalises_to_cron_fields(spelling: str, cron: str) -> None:
    spec = parse_schedule(spelling)
    assert spec.cron == cron
    assert spec.source == spelling
    assert parse_schedule(cron) == spec


def test_fields_are_sorted_value_tuples() -> None:
    spec = parse_schedule("*/20 9,17 1-3 */6 fri,mon", timezone="America/New_York")
    assert spec == ScheduleSpec(
        minutes=(0, 20, 40),
        hours=(9, 17),
        days_of_month=(1, 2, 3),
        months=(1, 7),
        days_of_week=(1, 5),
        timezone="America/New_York",
    )
    assert spec.dom_restricted
    assert spec.dow_restricted
    assert not spec.every_hour
    assert str(spec.tz) == "America/New_York"


def test_timezone_defaults_to_utc_and_is_kept() -> None:
    assert parse_schedule("@daily").timezone == "UTC"
    assert parse_schedule("@daily", timezone="Europe/London").timezone == "Europe/London"
    assert parse_schedule("@daily", timezone="Europe/London") != parse_schedule("@daily")


def test_specs_are_frozen_and_hashable() -> None:
    spec = parse_schedule("@weekly")
    with pytest.raises(AttributeError):
        spec.minutes = (1,)  # type: ignore[misc]
    assert {spec, parse_schedule("0 0 * * 7")} == {spec}


@pytest.mark.parametrize(
    ("spelling", "problem"),
    [
        ("", "expected 5 fields"),
        ("* * * *", "expected 5 fields"),
        ("* * * * * *", "expected 5 fields"),
        ("60 * * * *", "minute field '60'"),
        ("* 24 * * *", "hour field '24'"),
        ("* * 0 * *", "day of month field '0'"),
        ("* * 32 * *", "day of month field '32'"),
        ("* * * 13 *", "month field '13'"),
        ("* * * * 8", "day of week field '8'"),
        ("5-1 * * * *", "low to high"),
        ("* * * * sat-mon", "low to high"),
        ("*/0 * * * *", "'*/0' must stay within"),
        ("*-5 * * * *", "'*' cannot start a range"),
        ("a * * * *", "neither a number nor a name"),
        ("* * * * monday", "neither a number nor a name"),
        ("* * * mon *", "neither a number nor a name"),
        ("1.5 * * * *", "not a value, range a-b, list or step"),
        ("@fortnightly", "unknown macro '@fortnightly'"),
        ("every 7 minutes", "use 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60"),
        ("every 5 hours", "use 1, 2, 3, 4, 6, 8, 12, 24"),
        ("every 0 minutes", "is not a cron rhythm"),
        ("every blursday at 9:00", "'blursday' is not day, weekday, weekend or a day name"),
        ("every day at 25:00", "not a time of day"),
        ("every day at 9:60", "not a time of day"),
        ("every day at 13pm", "with am/pm the hour is 1-12"),
        ("every day at noon", "is not H:MM"),
        ("every", "plain English starts with 'every'"),
        ("daily at 9:00", "expected 5 fields"),
    ],
)
def test_bad_spelling_raises_error_listing_accepted_forms(spelling: str, problem: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(spelling)
    message = str(raised.value)
    assert problem in message
    assert message.endswith(ACCEPTED_FORMS)
    assert isinstance(raised.value, ConfigError)


def test_accepted_forms_name_every_spelling_family() -> None:
    for form in ("*/5 9-16 * * mon-fri", "@weekly", "every 5 minutes", "every Monday at 9:00", "IANA"):
        assert form in ACCEPTED_FORMS


@pytest.mark.parametrize("spelling", ["0 0 31 2 *", "0 0 30,31 feb *", "0 0 31 4,6,9,11 *"])
def test_schedule_that_never_fires_is_an_error(spelling: str) -> None:
    with pytest.raises(ScheduleError, match="never fires"):
        parse_schedule(spelling)


def test_day_of_month_that_only_some_months_have_is_fine() -> None:
    assert parse_schedule("0 0 29 2 *").cron == "0 0 29 2 *"
    assert parse_schedule("0 0 31 2 mon").cron == "0 0 31 2 1"  # OR rule: every Monday in February


# "America" is a folder of the zone database, 300 letters too long a file name: zoneinfo raises OSError.
@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "America", "é" * 300, "../etc", "\x00"])
def test_unknown_timezone_is_an_error_naming_the_fix(zone: str) -> None:
    with pytest.raises(ScheduleError, match="IANA name such as 'America/New_York'"):
        parse_schedule("@daily", timezone=zone)


def test_hand_built_spec_with_out_of_range_values_is_rejected() -> None:
    with pytest.raises(ScheduleError, match="minute values"):
        ScheduleSpec(minutes=(60,), hours=(0,), days_of_month=(1,), months=(1,), days_of_week=(0,))
    with pytest.raises(ScheduleError, match="must be sorted, unique"):
        ScheduleSpec(minutes=(5, 1), hours=(0,), days_of_month=(1,), months=(1,), days_of_week=(0,))
