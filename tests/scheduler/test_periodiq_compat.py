"""periodiq_compat.cron fires on Sundays where periodiq's cron() does not, and agrees with it elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import dramatiq
import pendulum
import periodiq  # type: ignore[import-untyped]
import pytest
from dramatiq.brokers.stub import StubBroker

from scheduler.periodiq_compat import SpecCronSpec, cron
from scheduler.spec import parse_schedule

SUNDAY_4AM = pendulum.datetime(2026, 11, 29, 4, 0, tz="UTC")
SUNDAY_SPELLINGS = ["0 4 * * 0", "0 4 * * 7", "0 4 * * sun", "every sunday at 04:00"]


@pytest.mark.parametrize("spelling", SUNDAY_SPELLINGS)
def test_sunday_schedule_fires_on_sunday(spelling: str) -> None:
    schedule = cron(spelling)
    assert schedule.validate(SUNDAY_4AM)
    assert not schedule.validate(SUNDAY_4AM.add(days=1))
    assert not schedule.validate(SUNDAY_4AM.add(minutes=1))
    assert schedule.next_valid_date(SUNDAY_4AM.subtract(days=3)) == SUNDAY_4AM


def test_weekly_macro_fires_at_sunday_midnight() -> None:
    assert cron("@weekly").validate(pendulum.datetime(2026, 11, 29, 0, 0, tz="UTC"))


@pytest.mark.parametrize("spelling", ["0 4 * * 0", "0 4 * * sun", "@weekly"])
def test_periodiq_own_cron_never_fires_sunday_written_as_zero(spelling: str) -> None:
    """The upstream bug this module works around; if this starts failing, periodiq fixed it."""
    own = periodiq.cron(spelling)
    sunday = SUNDAY_4AM if spelling != "@weekly" else SUNDAY_4AM.replace(hour=0)
    assert not own.validate(sunday)
    assert cron(spelling).validate(sunday)


@pytest.mark.parametrize(
    "spelling",
    [
        "*/5 9-16 * * 1-5",
        "30 16 * * 1-5",
        "0 9 * * mon",
        "15 10 * * 1,3,5",
        "0 0 1 * *",
        "0 0 13 * 5",
        "0 */2 * * *",
    ],
)
def test_weekday_schedules_agree_with_periodiq(spelling: str) -> None:
    own, ours = periodiq.cron(spelling), cron(spelling)
    fields = SpecCronSpec(parse_schedule(spelling)).astuple()
    assert fields[:4] == own.astuple()[:4]  # periodiq keeps '*' as weekdays 0-7, we keep 0-6
    moment = pendulum.datetime(2026, 11, 1, tz="UTC")
    while moment < pendulum.datetime(2026, 11, 9, tz="UTC"):
        assert ours.validate(moment) == own.validate(moment), moment
        moment = moment.add(minutes=5)


def test_schedule_is_read_in_its_own_timezone() -> None:
    schedule = cron("every weekday at 16:30", timezone="America/New_York")
    assert schedule.validate(pendulum.datetime(2026, 11, 25, 21, 30, tz="UTC"))
    assert schedule.validate(pendulum.datetime(2026, 11, 25, 22, 30, tz="Europe/Paris"))
    assert not schedule.validate(pendulum.datetime(2026, 11, 25, 16, 30, tz="UTC"))
    assert str(schedule) == "30 16 * * 1-5 America/New_York"


def test_next_valid_date_is_a_pendulum_datetime_in_the_callers_timezone() -> None:
    last = pendulum.datetime(2026, 11, 25, 12, 0, tz="Europe/Paris")
    following = cron("@hourly").next_valid_date(last)
    assert isinstance(following, pendulum.DateTime)
    assert following == pendulum.datetime(2026, 11, 25, 13, 0, tz="Europe/Paris")
    assert following.utcoffset() == last.utcoffset()


def test_cron_accepts_a_parsed_spec_in_its_own_timezone() -> None:
    spec = parse_schedule("every monday at 4:00", timezone="America/New_York")
    assert cron(spec) == cron("0 4 * * 1", timezone="America/New_York")


def test_spec_cron_spec_replaces_fields_like_periodiq() -> None:
    spec = parse_schedule("0 4 * * 1", timezone="America/New_York")
    schedule = SpecCronSpec(spec)
    assert isinstance(schedule, periodiq.CronSpec)
    assert schedule.spec is spec
    assert schedule.validate(pendulum.datetime(2026, 11, 30, 4, 0, tz="America/New_York"))
    sunday = schedule.replace(dow=[7])
    assert sunday.spec == parse_schedule("0 4 * * 0", timezone="America/New_York")
    assert sunday.validate(pendulum.datetime(2026, 11, 29, 4, 0, tz="America/New_York"))


def test_periodiq_scheduler_enqueues_a_sunday_actor(frozen_periodiq: dict[str, Any]) -> None:
    broker = StubBroker(middleware=[periodiq.PeriodiqMiddleware()])
    broker.emit_after("process_boot")

    def vacuum() -> None:
        """A weekly maintenance job."""

    periodic = cron("every sunday at 04:00", timezone="America/New_York")
    actor = dramatiq.actor(broker=broker, periodic=periodic)(vacuum)
    periodiq.Scheduler(actors=[actor]).schedule()

    assert broker.queues["default"].qsize() == 1
    message = broker.queues["default"].get_nowait()
    assert b'"scheduled_at"' in message
    assert frozen_periodiq["alarm_seconds"] == timedelta(days=7).total_seconds()


def test_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        cron("@daily").validate(datetime(2026, 11, 29))
    assert cron("@daily").validate(datetime(2026, 11, 29, tzinfo=UTC))
