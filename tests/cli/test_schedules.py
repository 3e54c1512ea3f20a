"""``marketjobs schedules list/enable/disable/run-now`` and ``marketjobs scheduler --once``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from marketjobs.cli import schedules
from marketjobs.cli.main import app
from marketjobs.config import configure

runner = CliRunner()

USER_SCHEDULE = '[{"name": "ping", "schedule": "every 5 minutes", "actor": "noop", "kwargs": {"n": 1}}]'


class FakeEnqueuer:
    """Stands in for the actors' broker: records what run-now sends."""

    sent: list[tuple[str, dict[str, Any], str]] = []

    def __init__(self, broker: Any) -> None:
        pass

    def declared(self, actor: str) -> bool:
        return actor == "noop"

    def send(self, actor: str, kwargs: dict[str, Any], key: str) -> str | None:
        self.sent.append((actor, kwargs, key))
        return "m1"


@pytest.fixture
def store(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite store with one user schedule beside the defaults."""
    monkeypatch.setenv("MARKETJOBS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MARKETJOBS_BROKER_URL", sqlite_url)
    monkeypatch.setenv("MARKETJOBS_SCHEDULES", USER_SCHEDULE)
    monkeypatch.setattr(schedules, "BrokerEnqueuer", FakeEnqueuer)
    FakeEnqueuer.sent = []
    configure(None)
    yield sqlite_url
    configure(None)


def invoke(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def listed() -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in invoke("schedules", "list")}


def test_list_shows_defaults_and_user_schedules_with_next_runs(store: str) -> None:
    items = listed()
    assert {"price_update", "vacuum", "ping"} <= set(items)
    assert items["price_update"]["timezone"] == "America/New_York"
    assert len(items["ping"]["next_runs"]) == 3
    assert items["ping"]["enabled"]
    assert items["ping"]["last_tick_at"] is None


def test_list_renders_a_table_for_people(store: str) -> None:
    result = runner.invoke(app, ["schedules", "list"])
    assert result.exit_code == 0, result.output
    assert "7 schedules" in result.output
    assert "vacuum" in result.output


def test_disable_and_enable_are_stored(store: str) -> None:
    assert invoke("schedules", "disable", "ping") == {"name": "ping", "enabled": False}
    assert not listed()["ping"]["enabled"]
    invoke("schedules", "enable", "ping")
    assert listed()["ping"]["enabled"]


def test_run_now_sends_the_schedules_job(store: str) -> None:
    assert invoke("schedules", "run-now", "ping") == {"name": "ping", "id": "m1"}
    assert FakeEnqueuer.sent[0][:2] == ("noop", {"n": 1})
    assert listed()["ping"]["enqueued_count"] == 1


def test_an_unknown_name_lists_the_known_schedules(store: str) -> None:
    result = runner.invoke(app, ["schedules", "disable", "nope"])
    assert result.exit_code != 0
    assert "known schedules" in str(result.exception)


def test_run_now_of_an_undeclared_actor_says_what_to_do(store: str) -> None:
    result = runner.invoke(app, ["schedules", "run-now", "price_update"])
    assert "not declared" in str(result.exception)


def test_scheduler_once_takes_the_lead_and_passes(store: str) -> None:
    result = runner.invoke(app, ["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert "leader" in result.output
