"""Default schedules: NYSE hours from 09:30, Sunday vacuum, user schedules from the YAML config."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from marketjobs.config import load_settings
from marketjobs.errors import ConfigError, ScheduleError
from scheduler.definitions import ScheduleDefinition, configured_schedules, parse_spellings

Defaults = dict[str, ScheduleDefinition]


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "after", "expected"),
    [
        ("price_update", utc(2026, 11, 27, 14, 0), utc(2026, 11, 27, 14, 30)),  # Fri 09:00 EST -> 09:30 open
        ("price_update", utc(2026, 11, 27, 14, 30), utc(2026, 11, 27, 14, 35)),
        ("price_update", utc(2026, 11, 27, 20, 55), utc(2026, 11, 27, 21, 0)),  # the 16:00 close runs
        ("price_update", utc(2026, 11, 27, 21, 0), utc(2026, 11, 30, 14, 30)),  # then Monday's open
        ("price_update", utc(2026, 7, 1, 13, 0), utc(2026, 7, 1, 13, 30)),  # summer: 09:30 EDT
        ("technical_analysis", utc(2026, 11, 27, 12, 0), utc(2026, 11, 27, 21, 15)),
        ("alerts", utc(2026, 11, 28, 10, 0, 30), utc(2026, 11, 28, 10, 1)),
        ("maintenance", utc(2026, 11, 28, 10, 0), utc(2026, 11, 29, 3, 0)),
        ("vacuum", utc(2026, 11, 25, 10, 0), utc(2026, 11, 29, 4, 0)),  # 2026-11-29 is a Sunday
    ],
)
def test_default_schedules_fire_when_documented(
    defaults: Defaults, name: str, after: datetime, expected: datetime
) -> None:
    assert defaults[name].next_after(after) == expected


def test_price_updates_never_run_before_the_open_or_on_weekends(defaults: Defaults) -> None:
    runs = defaults["price_update"].upcoming(utc(2026, 11, 23, 0, 0), 79 * 5)
    local = [run.astimezone(defaults["price_update"].specs[0].tz) for run in runs]
    assert all((9, 30) <= (t.hour, t.minute) <= (16, 0) and t.isoweekday() <= 5 for t in local)
    assert len({t.date() for t in local}) == 5  # 79 runs a day, Mon-Fri


def test_every_default_names_an_actor_and_a_policy(defaults: Defaults) -> None:
    assert {d.actor for d in defaults.values()} >= {"price_update", "alerts", "maintenance"}
    assert all(d.missed in ("skip", "run_once") for d in defaults.values())


def test_several_spellings_join_with_semicolons() -> None:
    assert [spec.cron for spec in parse_spellings("0 9 * * *; @weekly")] == ["0 9 * * *", "0 0 * * 0"]


def test_a_bad_spelling_names_the_schedule_and_the_accepted_forms() -> None:
    with pytest.raises(ScheduleError, match=r"(?s)'mine'.*accepted schedule forms"):
        ScheduleDefinition("mine", "every fortnight", "noop")


def test_user_schedules_come_from_the_config_and_replace_defaults_by_name(defaults: Defaults) -> None:
    settings = load_settings(
        schedules=[
            {"name": "ping", "schedule": "every 5 minutes", "actor": "noop", "missed": "run_once"},
            {"name": "alerts", "schedule": "every 2 minutes", "actor": "alerts"},
        ]
    )
    definitions = {d.name: d for d in configured_schedules(settings, defaults.values())}
    assert definitions["ping"].missed == "run_once"
    assert definitions["alerts"].spelling == "every 2 minutes"
    assert set(defaults) <= set(definitions)
    assert definitions["vacuum"] == defaults["vacuum"], "the others are the declared ones"


def test_a_config_schedule_that_cannot_parse_is_an_error_at_start() -> None:
    settings = load_settings(schedules=[{"name": "x", "schedule": "sometimes", "actor": "noop"}])
    with pytest.raises(ScheduleError, match="accepted schedule forms"):
        configured_schedules(settings, [])


def test_a_config_schedule_with_an_unknown_field_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="schedules"):
        load_settings(schedules=[{"name": "x", "schedule": "@daily", "actor": "noop", "every": 1}])


def test_duplicate_config_names_are_an_error() -> None:
    entry = {"name": "x", "schedule": "@daily", "actor": "noop"}
    with pytest.raises(ScheduleError, match="twice"):
        configured_schedules(load_settings(schedules=[entry, entry]), [])


def test_schedules_are_read_from_the_yaml_config(tmp_path: Path, defaults: Defaults) -> None:
    config = tmp_path / "marketjobs.yaml"
    config.write_text(
        "schedules:\n"
        "  - name: price_update\n"
        '    schedule: "*/15 10-15 * * mon-fri"\n'
        "    timezone: America/New_York\n"
        "    actor: price_update\n"
        "    kwargs: {source: synthetic}\n"
        "    missed: run_once\n"
    )
    definitions = {d.name: d for d in configured_schedules(load_settings(config), defaults.values())}
    assert definitions["price_update"].kwargs == {"source": "synthetic"}
    assert definitions["price_update"].missed == "run_once"


def test_every_default_schedule_names_a_real_job_type_with_valid_parameters(defaults: Defaults) -> None:
    import actors

    for definition in defaults.values():
        actor = actors.broker.get_actor(definition.actor)  # the job type exists
        message = actor.message_with_options(kwargs=dict(definition.kwargs))  # its parameters validate
        assert message.actor_name == definition.actor
