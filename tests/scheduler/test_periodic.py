"""Schedules declared on actors with ``periodic=cron(...)``: what periodiq and our scheduler read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dramatiq
import pendulum
import periodiq  # type: ignore[import-untyped]
import pytest
from dramatiq.brokers.stub import StubBroker

from marketjobs.errors import OptionError, ScheduleError
from scheduler.definitions import MARKET_TIMEZONE, NYSE_EVERY_5_MINUTES, ScheduleDefinition
from scheduler.middleware import PeriodicMiddleware
from scheduler.periodic import Periodic, declared_schedules
from scheduler.periodiq_compat import cron

#: The default schedules as ``scheduler/defaults.py`` listed them before the actors declared them.
FORMER_DEFAULTS = [
    ScheduleDefinition(
        "price_update",
        NYSE_EVERY_5_MINUTES,
        "price_update",
        MARKET_TIMEZONE,
        kwargs={"source": "file", "options": {"folder": "var/incoming"}},
    ),
    ScheduleDefinition(
        "technical_analysis",
        "every weekday at 16:15",
        "technical_analysis",
        MARKET_TIMEZONE,
        missed="run_once",
    ),
    ScheduleDefinition("alerts", "every minute", "alerts"),
    ScheduleDefinition(
        "portfolio_analysis",
        "every weekday at 16:30",
        "portfolio_analysis",
        MARKET_TIMEZONE,
        missed="run_once",
    ),
    ScheduleDefinition(
        "maintenance", "every day at 03:00", "maintenance", kwargs={"task": "cleanup"}, missed="run_once"
    ),
    ScheduleDefinition("vacuum", "every sunday at 04:00", "maintenance", kwargs={"task": "vacuum"}),
]


def test_the_actors_declare_exactly_the_former_default_schedules(
    defaults: dict[str, ScheduleDefinition],
) -> None:
    assert sorted(defaults) == sorted(d.name for d in FORMER_DEFAULTS)
    for former in FORMER_DEFAULTS:
        declared = defaults[former.name]
        assert (declared.spelling, declared.actor, declared.timezone) == (
            former.spelling,
            former.actor,
            former.timezone,
        )
        assert (declared.kwargs, declared.missed) == (former.kwargs, former.missed)


@pytest.fixture
def broker() -> StubBroker:
    broker = StubBroker(middleware=[PeriodicMiddleware()])
    broker.emit_after("process_boot")
    return broker


def declare(broker: dramatiq.Broker, name: str, periodic: Periodic) -> dramatiq.Actor[..., Any]:
    def fn(**kwargs: Any) -> None:
        """A test job."""

    fn.__name__ = name
    return dramatiq.actor(broker=broker, periodic=periodic)(fn)


def test_a_schedule_is_named_after_its_actor_and_carries_kwargs_timezone_and_policy(
    broker: StubBroker,
) -> None:
    declare(broker, "report", cron("every weekday at 17:00", timezone="Europe/London", missed="run_once"))
    declare(broker, "tidy", cron("@daily", kwargs={"deep": True}) | cron("@weekly", name="tidy_weekly"))
    assert declared_schedules(broker) == [
        ScheduleDefinition("report", "every weekday at 17:00", "report", "Europe/London", missed="run_once"),
        ScheduleDefinition("tidy", "@daily", "tidy", kwargs={"deep": True}),
        ScheduleDefinition("tidy_weekly", "@weekly", "tidy"),
    ]


def test_actors_without_a_schedule_are_not_scheduled(broker: StubBroker) -> None:
    dramatiq.actor(broker=broker)(lambda: None)
    assert declared_schedules(broker) == []


def test_two_actors_declaring_one_schedule_name_is_an_error(broker: StubBroker) -> None:
    declare(broker, "a", cron("@daily", name="nightly"))
    declare(broker, "b", cron("@hourly", name="nightly"))
    with pytest.raises(ScheduleError, match=r"'nightly' is declared by actors 'a' and 'b'"):
        declared_schedules(broker)


def test_two_schedules_of_one_actor_need_their_own_names() -> None:
    with pytest.raises(ScheduleError, match="actor's name"):
        cron("@daily") | cron("@weekly")


def test_a_bad_spelling_fails_at_declaration_with_the_accepted_forms() -> None:
    with pytest.raises(ScheduleError, match=r"(?s)'nightly'.*accepted schedule forms"):
        cron("every fortnight", name="nightly")
    with pytest.raises(ScheduleError, match="missed must be"):
        cron("@daily", missed="later")  # type: ignore[arg-type]


def test_periodiqs_own_cron_is_refused_with_the_fix(broker: StubBroker) -> None:
    with pytest.raises(OptionError, match=r"scheduler\.periodiq_compat\.cron"):
        dramatiq.actor(broker=broker, periodic=periodiq.cron("0 4 * * 0"))(lambda: None)
    theirs = StubBroker(middleware=[periodiq.PeriodiqMiddleware()])  # accepts it; our scheduler does not
    dramatiq.actor(broker=theirs, periodic=periodiq.cron("0 4 * * 0"), actor_name="weekly")(lambda: None)
    with pytest.raises(ScheduleError, match=r"'weekly'.*scheduler\.periodiq_compat\.cron"):
        declared_schedules(theirs)


def test_the_periodic_option_needs_the_middleware() -> None:
    with pytest.raises(ValueError, match=r"periodic.*Did you forget to add a middleware"):
        dramatiq.actor(broker=StubBroker(), periodic=cron("@daily"))(lambda: None)


NYSE = cron(NYSE_EVERY_5_MINUTES, timezone=MARKET_TIMEZONE)


@pytest.mark.parametrize(
    ("local", "fires"),
    [
        ((2026, 11, 27, 9, 25), False),
        ((2026, 11, 27, 9, 30), True),
        ((2026, 11, 27, 10, 0), True),
        ((2026, 11, 27, 12, 5), True),
        ((2026, 11, 27, 12, 7), False),
        ((2026, 11, 27, 16, 0), True),
        ((2026, 11, 27, 16, 5), False),
        ((2026, 11, 28, 10, 0), False),  # Saturday
    ],
)
def test_several_spellings_fire_under_periodiq_when_any_does(
    local: tuple[int, int, int, int, int], fires: bool
) -> None:
    year, month, day, hour, minute = local
    assert NYSE.validate(pendulum.datetime(year, month, day, hour, minute, tz=MARKET_TIMEZONE)) == fires


def test_the_next_tick_of_several_spellings_is_the_earliest_in_the_callers_timezone() -> None:
    friday_close = pendulum.datetime(2026, 11, 27, 21, 0, tz="UTC")
    assert NYSE.next_valid_date(friday_close) == pendulum.datetime(2026, 11, 30, 14, 30, tz="UTC")
    joined = cron("0 9 * * *") | cron("30 8 * * *", name="early")
    following = joined.next_valid_date(pendulum.datetime(2026, 11, 27, 8, 0, tz="Europe/Paris"))
    assert following == pendulum.datetime(2026, 11, 27, 8, 30, tz="UTC")
    assert following.utcoffset() == pendulum.duration(hours=1)


def test_periodiq_lists_every_spelling_and_timezone() -> None:
    assert str(NYSE) == f"30-55/5 9 * * 1-5; */5 10-15 * * 1-5; 0 16 * * 1-5 {MARKET_TIMEZONE}"
    assert str(cron("@daily") | cron("0 4 * * sun", name="w")) == "0 0 * * * | 0 4 * * 0"


def test_firing_at_names_the_schedules_of_that_minute() -> None:
    joined = cron("@daily", kwargs={"n": 1}) | cron("0 0 * * sun", name="sunday", kwargs={"n": 2})
    sunday = datetime(2026, 11, 29, 0, 0, 40, tzinfo=UTC)
    assert [s.kwargs for s in joined.firing_at(sunday)] == [{"n": 1}, {"n": 2}]
    assert [s.kwargs for s in joined.firing_at(sunday.replace(day=30))] == [{"n": 1}]
