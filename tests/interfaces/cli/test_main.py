"""The ``marketjobs`` command line: tables for people, JSON for scripts, errors that name the fix."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from interfaces.cli import output
from interfaces.cli.main import app
from marketjobs import clock
from marketjobs.config import configure
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import head_revision
from marketjobs.store.upsert import insert_missing, upsert_newer
from tests.store.test_upsert import NOW_MS, row

runner = CliRunner()

HOUR_MS = 3_600_000


@pytest.fixture
def store(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("MARKETJOBS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MARKETJOBS_BROKER_URL", "stub://")
    monkeypatch.setattr(output.console, "width", 160)
    monkeypatch.delenv("MARKETJOBS_CONFIG", raising=False)
    with create_store_engine(sqlite_url).begin() as connection:
        insert_missing(connection, [row("p1", "pending", 0)])
        upsert_newer(connection, [row("r1", "running", 5, job_type="price_update")])
        upsert_newer(
            connection,
            [row("d1", "dead", 7, error="RuntimeError: boom", parameters={"args": ["AAPL"], "kwargs": {}})],
        )
    yield sqlite_url
    configure(None)


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_jobs_list_filters_by_status_and_prints_json(store: str) -> None:
    code, out = invoke("jobs", "list", "--status", "pending", "--status", "running", "--json")
    assert code == 0, out
    assert sorted(j["id"] for j in json.loads(out)) == ["p1", "r1"]
    code, out = invoke("jobs", "list", "--type", "price_update", "--json")
    assert [j["id"] for j in json.loads(out)] == ["r1"]


def test_jobs_list_table_shows_each_job(store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output.console, "_force_terminal", True)
    code, out = invoke("jobs", "list")
    assert code == 0, out
    assert "3 jobs" in out
    assert "d1" in out
    assert "boom" in out
    assert clock.from_ms(NOW_MS).astimezone().strftime("%Y-%m-%d %H:%M") in out  # created, local time


def test_jobs_list_in_a_pipe_prints_full_values_as_tab_separated_lines(store: str) -> None:
    long_error = "ValueError: " + "x" * 400
    with create_store_engine(store).begin() as connection:
        upsert_newer(connection, [row("d2", "dead", 8, error=long_error)])
    result = runner.invoke(app, ["jobs", "list", "--status", "dead"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split("\t") == ["id", "type", "status", "try", "done", "created", "error"]
    rows = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
    assert set(rows) == {"d1", "d2"}
    assert rows["d2"][6] == long_error  # not cut to the terminal's width
    assert rows["d1"][5] == clock.from_ms(NOW_MS).astimezone().isoformat(timespec="seconds")
    assert "2 jobs" in result.stderr  # the title


def test_jobs_list_since_and_until_filter_by_age_and_json_shows_iso_utc_times(store: str) -> None:
    now = clock.now_ms()
    with create_store_engine(store).begin() as connection:
        insert_missing(
            connection,
            [
                row("h1", "pending", 0, created_at=now - HOUR_MS),
                row("h3", "pending", 0, created_at=now - 3 * HOUR_MS),
            ],
        )
    code, out = invoke("jobs", "list", "--since", "2h", "--json")
    assert code == 0, out
    assert [j["id"] for j in json.loads(out)] == ["h1"]
    code, out = invoke("jobs", "list", "--since", "4h", "--until", "2h", "--json")
    assert [j["id"] for j in json.loads(out)] == ["h3"]
    code, out = invoke("jobs", "show", "h3", "--json")
    shown = json.loads(out)
    assert shown["created_at"] == clock.from_ms(now - 3 * HOUR_MS).isoformat()
    assert shown["updated_at"] == "2026-11-25T12:00:00.123000+00:00"
    assert shown["started_at"] is None


def test_jobs_show_and_cancel(store: str) -> None:
    code, out = invoke("jobs", "show", "r1", "--json")
    assert code == 0
    assert json.loads(out)["status"] == "running"
    code, out = invoke("jobs", "cancel", "r1", "--json")
    assert code == 0
    assert json.loads(out) == {"cancel_requested": {"r1": "running"}}
    code, out = invoke("jobs", "show", "r1", "--json")
    assert json.loads(out)["cancel_requested"] is True


def test_cancelling_a_finished_job_is_refused(store: str) -> None:
    code, _out = invoke("jobs", "cancel", "d1")
    assert code != 0


def test_dead_letters_are_listed_retried_with_a_link_and_purged(store: str) -> None:
    code, out = invoke("dlq", "list", "--json")
    assert [j["id"] for j in json.loads(out)] == ["d1"]
    code, out = invoke("dlq", "retry", "d1", "--json")
    assert code == 0, out
    new_id = json.loads(out)["retried"]["d1"]
    code, out = invoke("jobs", "show", "d1", "--json")
    assert json.loads(out)["retried_as"] == new_id
    code, out = invoke("dlq", "purge", "--yes", "--json")
    assert json.loads(out) == {"purged": 1}


def test_queues_reports_depth_of_the_product_queues(store: str) -> None:
    code, out = invoke("queues", "--json")
    assert code == 0, out
    assert "diagnostics" in {q["queue"] for q in json.loads(out)}


def test_unmigrated_store_error_says_to_run_db_upgrade(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARKETJOBS_DATABASE_URL", f"sqlite:///{tmp_path}/new.db")
    result = runner.invoke(app, ["jobs", "list"])
    assert result.exit_code != 0
    assert "marketjobs db upgrade" in str(result.exception)
    code, out = invoke("db", "upgrade")
    assert code == 0
    assert f"revision {head_revision()}" in out


def test_no_cli_listing_shows_a_secret_from_job_parameters_or_errors(store: str, sqlite_url: str) -> None:
    secret = "hunter2-Sup3rSecret"
    parameters = {
        "args": [],
        "kwargs": {"source": "http", "options": {"base_url": f"https://u:{secret}@q.example/?api_key={secret}",
                                                 "headers": {"Authorization": f"Bearer {secret}"}}},
    }  # fmt: skip
    with create_store_engine(sqlite_url).begin() as connection:
        error = f"HTTPError: https://q.example/?token={secret} refused"
        upsert_newer(connection, [row("s1", "dead", 9, parameters=parameters, error=error)])
    outputs = [
        invoke("jobs", "show", "s1"),
        invoke("jobs", "list", "--json"),
        invoke("jobs", "list"),
        invoke("dlq", "list", "--json"),
        invoke("dlq", "list"),
    ]
    for code, out in outputs:
        assert code == 0, out
        assert secret not in out, out
    assert "***" in outputs[0][1]
