"""``marketjobs health`` as cron and scripts run it: a real process on a real store, its exit code 0/1/2, its
table and its ``--json``; and the exporter's ``marketjobs_health_check`` gauge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketjobs import clock
from marketjobs.store.engine import create_store_engine
from monitoring.health import CHECKS
from tests.monitoring.test_health import MINUTE_MS, add_worker

ROOT = Path(__file__).resolve().parents[3]


def marketjobs(*args: str, store: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Runs ``python -m marketjobs *args`` on ``store`` (job store and SQL broker) with default pools."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKETJOBS_", "PROMETHEUS_"))}
    env.update(
        MARKETJOBS_DATABASE_URL=store,
        MARKETJOBS_BROKER_URL=store,
        COLUMNS="200",
        PYTHONPATH=str(ROOT),
    )
    return subprocess.run(
        [sys.executable, "-m", "marketjobs", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def live_worker(sqlite_url: str) -> str:
    """The store with one live worker in the default pool (min 1): every check passes."""
    add_worker(create_store_engine(sqlite_url), "w1", pool="default", heartbeat_at=clock.now_ms())
    return sqlite_url


def test_a_healthy_store_exits_0_and_shows_every_check(live_worker: str, tmp_path: Path) -> None:
    result = marketjobs("health", store=live_worker, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "health: ok (exit 0)" in result.stderr  # the title; stdout is TSV in a pipe
    assert result.stdout.splitlines()[0] == "check\tstatus\tdetail\thint"
    for check in CHECKS:
        assert check.name in result.stdout


def test_a_lost_worker_exits_1_and_the_table_names_the_fix(live_worker: str, tmp_path: Path) -> None:
    engine = create_store_engine(live_worker)
    add_worker(engine, "w2", pool="default", heartbeat_at=clock.now_ms() - 10 * MINUTE_MS, pid=4242)
    result = marketjobs("health", store=live_worker, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "health: degraded (exit 1)" in result.stderr
    assert "h1:4242" in result.stdout
    assert "marketjobs workers" in result.stdout


def test_a_pool_without_workers_exits_2_and_json_gives_every_check(sqlite_url: str, tmp_path: Path) -> None:
    result = marketjobs("health", "--json", store=sqlite_url, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"status", "exit_code", "checked_at", "checks"}
    assert (report["status"], report["exit_code"]) == ("unhealthy", 2)
    assert [c["name"] for c in report["checks"]] == [c.name for c in CHECKS]
    for check in report["checks"]:
        assert set(check) == {"name", "status", "detail", "hint"}
        assert check["status"] in ("ok", "degraded", "unhealthy")
        assert (check["hint"] is None) == (check["status"] == "ok")
    workers = next(c for c in report["checks"] if c["name"] == "workers")
    assert workers["status"] == "unhealthy"
    assert "marketjobs supervisor" in workers["hint"]


def test_an_unmigrated_store_exits_2_and_names_db_upgrade(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = marketjobs("health", "--json", store=store, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    database = json.loads(result.stdout)["checks"][0]
    assert (database["name"], database["status"]) == ("database", "unhealthy")
    assert "marketjobs db upgrade" in database["hint"]


def test_the_exporter_publishes_the_health_gauge(live_worker: str, tmp_path: Path) -> None:
    result = marketjobs("exporter", "--once", store=live_worker, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for check in CHECKS:
        assert f'marketjobs_health_check{{check="{check.name}"}} 1.0' in result.stdout
