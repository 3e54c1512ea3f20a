"""``marketjobs jobs stats``: throughput and failure ratio over a window, as a table or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from interfaces.cli.main import app
from marketjobs import clock
from marketjobs.config import configure
from marketjobs.store.engine import create_store_engine
from marketjobs.store.upsert import upsert_newer
from tests.store.test_upsert import row

runner = CliRunner()


@pytest.fixture
def store(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("MARKETJOBS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MARKETJOBS_BROKER_URL", "stub://")
    monkeypatch.delenv("MARKETJOBS_CONFIG", raising=False)
    now = clock.now_ms()
    with create_store_engine(sqlite_url).begin() as connection:
        upsert_newer(
            connection,
            [
                row("c1", "completed", 7, job_type="sleep", started_at=now - 3000, finished_at=now - 1000),
                row("c2", "completed", 7, job_type="sleep", started_at=now - 3000, finished_at=now - 2000),
                row("d1", "dead", 7, job_type="fail", started_at=now - 3000, finished_at=now - 2000),
            ],
        )
    yield sqlite_url
    configure(None)


def test_stats_json_gives_totals_per_type_and_buckets(store: str) -> None:
    result = runner.invoke(app, ["jobs", "stats", "--window", "10m", "--buckets", "5", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert (stats["completed"], stats["failed"], stats["window_seconds"]) == (2, 1, 600)
    assert stats["failure_ratio"] == pytest.approx(1 / 3)
    assert [t["job_type"] for t in stats["by_type"]] == ["sleep", "fail"]
    assert len(stats["buckets"]) == 5
    assert sum(b["completed"] for b in stats["buckets"]) == 2


def test_stats_table_titles_the_totals(store: str) -> None:
    result = runner.invoke(app, ["jobs", "stats"])
    assert result.exit_code == 0, result.output
    assert "last 1h: 3 finished (0.05/min), 1 failed (33.3%)" in result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0] == ["type", "completed", "failed", "cancelled", "per min", "failure", "mean s"]
    assert rows[1][:3] == ["sleep", "2", "0"]
    assert rows[2][:3] == ["fail", "0", "1"]


def test_a_window_too_short_for_its_buckets_is_a_usage_error(store: str) -> None:
    result = runner.invoke(app, ["jobs", "stats", "--window", "0s"])
    assert result.exit_code == 2
    assert "is too short" in result.output
