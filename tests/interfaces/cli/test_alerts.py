"""``marketjobs alerts add/list/enable/disable/remove/firings``, for people and with ``--json``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from interfaces.cli.main import app
from interfaces.cli.output import console
from marketjobs.analysis.alert_rules import Alert
from marketjobs.config import configure
from marketjobs.notify.firings import mark_failed, outstanding, record_firings
from marketjobs.store.engine import create_store_engine

runner = CliRunner()


@pytest.fixture
def store(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite store the CLI uses."""
    monkeypatch.setenv("MARKETJOBS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MARKETJOBS_BROKER_URL", "stub://")
    monkeypatch.setattr(console, "width", 200)  # tables unfolded, whatever the terminal
    configure(None)
    yield sqlite_url
    configure(None)


def invoke(*args: str) -> Any:
    result = runner.invoke(app, ["alerts", *args])
    return result


def as_json(*args: str) -> Any:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_add_list_disable_and_remove_a_rule(store: str) -> None:
    added = as_json(
        "add",
        "aapl-rsi",
        "-s",
        "AAPL",
        "-t",
        "indicator_cross_above",
        "--indicator",
        "rsi_14",
        "--level",
        "70",
        "--sink",
        "mqtt",
        "--sink",
        "webhook",
        "--webhook-url",
        "http://hooks.local/x",
        "--cooldown",
        "2h",
    )
    assert added["params"] == {"indicator": "rsi_14", "level": 70.0, "other": None}
    assert (added["sinks"], added["cooldown_seconds"], added["enabled"]) == (["mqtt", "webhook"], 7200, True)

    listed = invoke("list")
    assert listed.exit_code == 0, listed.output
    assert "aapl-rsi" in listed.output
    assert "indicator_cross_above" in listed.output
    assert "indicator=rsi_14, level=70.0" in listed.output

    assert as_json("disable", "aapl-rsi")["enabled"] is False
    assert [r["enabled"] for r in as_json("list")] == [False]
    assert as_json("enable", str(added["id"]))["enabled"] is True

    removed = invoke("remove", "aapl-rsi")
    assert removed.exit_code == 0, removed.output
    assert f"rule {added['id']} aapl-rsi removed with 0 firings" in removed.output
    assert as_json("list") == []


def test_a_bad_rule_is_refused_with_the_fix(store: str) -> None:
    result = invoke("add", "x", "-s", "AAPL", "-t", "price_above", "--pct", "3")
    assert result.exit_code == 1
    assert isinstance(result.exception, Exception)
    assert "pct: Extra inputs are not permitted (accepted: level)" in str(result.exception)


def test_a_bad_cooldown_shows_the_accepted_forms(store: str) -> None:
    result = invoke("add", "x", "-s", "AAPL", "-t", "price_above", "--level", "3", "--cooldown", "soon")
    assert result.exit_code == 2
    assert "use a number and a unit such as 30s" in result.output


def test_firings_lists_the_newest_with_status_and_error(store: str) -> None:
    rule = as_json(
        "add", "cheap", "-s", "*", "-t", "price_below", "--level", "10", "--sink", "log", "--sink", "mqtt"
    )
    engine = create_store_engine(store)
    alert = Alert(
        rule["id"], "cheap", "price_below", "IBM", 1_700_000_000_000, 9.5, "IBM closed at 9.5, below 10"
    )
    record_firings(engine, [alert], {rule["id"]: ["log", "mqtt"]}, now_ms=1_700_000_000_000)
    mqtt_firing = next(f for f, _ in outstanding(engine) if f.sink == "mqtt")
    mark_failed(engine, mqtt_firing.id, "cannot reach the MQTT broker at 127.0.0.1:1883")

    items = as_json("firings")
    assert [(i["rule"], i["symbol"], i["sink"], i["status"]) for i in items] == [
        ("cheap", "IBM", "mqtt", "failed"),
        ("cheap", "IBM", "log", "pending"),
    ]
    assert [i["sink"] for i in as_json("firings", "--status", "failed")] == ["mqtt"]
    assert as_json("firings", "--symbol", "AAPL") == []

    table = invoke("firings", "--rule", "cheap")
    assert table.exit_code == 0, table.output
    assert "2 firings (newest first)" in table.output
    assert "cannot reach the MQTT broker" in table.output

    bad = invoke("firings", "--status", "lost")
    assert bad.exit_code == 2
    assert "use one of pending, delivered, failed" in bad.output
