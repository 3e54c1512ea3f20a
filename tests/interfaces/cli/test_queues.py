"""``marketjobs queues``: one row per non-empty queue, dead counts that match ``dlq list``, and ``purge``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from typer.testing import CliRunner

from interfaces.cli.main import app
from marketjobs.config import configure
from marketjobs.errors import ParameterError
from marketjobs.jobs import get_job
from marketjobs.jobs.broker import broker_from_url
from marketjobs.store.engine import create_store_engine
from marketjobs.store.upsert import upsert_newer
from tests.conftest import fast_settings, records_of
from tests.store.test_upsert import row

runner = CliRunner()


@pytest.fixture
def store(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The SQL broker and the store in one SQLite file, two sleep jobs waiting in ``diagnostics``."""
    monkeypatch.setenv("MARKETJOBS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MARKETJOBS_BROKER_URL", sqlite_url)
    monkeypatch.delenv("MARKETJOBS_CONFIG", raising=False)
    settings = fast_settings(sqlite_url, sqlite_url)
    configure(settings)
    broker = broker_from_url(sqlite_url, settings=settings)
    broker.declare_queue("diagnostics")
    for priority in ("normal", "high"):
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name="diagnostics", actor_name="sleep", args=(), kwargs={}, options={"priority": priority}
        )
        broker.enqueue(message)
    records_of(broker).flush()
    broker.close()
    configure(None)
    yield sqlite_url
    configure(None)


def queues(*args: str) -> Any:
    result = runner.invoke(app, ["queues", *args])
    assert result.exit_code == 0, result.output
    return result


def test_only_queues_with_messages_are_listed_unless_all(store: str) -> None:
    listed = queues()
    lines = listed.stdout.splitlines()
    assert lines[0] == "queue\tready\tdelayed\tdead\tlatency\tpaused"
    assert [line.split("\t")[:4] for line in lines[1:]] == [["diagnostics", "2", "0", "0"]]
    assert "empty queues not shown (--all lists them)" in listed.stderr
    every = queues("--all").stdout.splitlines()[1:]
    assert {"price_update", "diagnostics", "alerts"} <= {line.split("\t")[0] for line in every}


def test_json_lists_every_queue_with_both_dead_counts(store: str) -> None:
    rows = {r["queue"]: r for r in json.loads(queues("--json").stdout)}
    assert rows["diagnostics"]["ready"] == 2
    assert rows["price_update"] == {**rows["price_update"], "ready": 0, "dead": 0, "broker_dead": 0}


def test_dead_counts_the_dead_jobs_that_dlq_list_shows_and_explains_broker_copies(store: str) -> None:
    with create_store_engine(store).begin() as connection:
        upsert_newer(connection, [row("d1", "dead", 7, queue="diagnostics", error="RuntimeError: boom")])
    listed = queues()
    assert listed.stdout.splitlines()[1].split("\t")[:4] == ["diagnostics", "2", "0", "1"]
    dead_letters = json.loads(runner.invoke(app, ["dlq", "list", "--json"]).stdout)
    assert [d["id"] for d in dead_letters] == ["d1"]
    assert "the broker also keeps 0 dead-letter copies" in listed.stderr


def test_purge_drops_the_waiting_messages_and_cancels_their_jobs(store: str) -> None:
    purged = json.loads(queues("purge", "diagnostics", "--yes", "--json").stdout)
    assert purged == {"queue": "diagnostics", "messages": 2, "jobs_cancelled": 2}
    rows = {r["queue"]: r for r in json.loads(queues("--json").stdout)}
    assert rows["diagnostics"]["ready"] == 0
    cancelled = json.loads(runner.invoke(app, ["jobs", "list", "--status", "cancelled", "--json"]).stdout)
    assert len(cancelled) == 2
    record = get_job(create_store_engine(store), cancelled[0]["id"])
    assert record.error == "purged from queue diagnostics (marketjobs queues purge)"
    assert record.finished_at is not None


def test_purge_without_yes_outside_a_terminal_asks_for_it_and_drops_nothing(store: str) -> None:
    result = runner.invoke(app, ["queues", "purge", "diagnostics"])
    assert isinstance(result.exception, ParameterError)
    assert "add --yes to confirm" in str(result.exception)
    rows = {r["queue"]: r for r in json.loads(queues("--json").stdout)}
    assert rows["diagnostics"]["ready"] == 2


def test_purge_of_an_unknown_queue_lists_the_queues(store: str) -> None:
    result = runner.invoke(app, ["queues", "purge", "nope", "--yes"])
    assert isinstance(result.exception, ParameterError)
    assert "no queue 'nope'; queues: alerts" in str(result.exception)
