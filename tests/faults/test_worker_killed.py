"""No job is lost when a worker process is killed with -9 mid-run, or when the database drops connections.

Real `dramatiq` worker processes on the SQL broker (SQLite, PostgreSQL) and on Redis.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from marketjobs.config import configure
from marketjobs.store.engine import create_store_engine
from marketjobs.store.models import JobRecord
from tests.conftest import broker_url_for, reset_database
from tests.servers import require_service

ROOT = Path(__file__).resolve().parents[2]
JOBS = 1000


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "dramatiq", "tests.fault_actors", "-p", "1", "-t", "4", "-Q", "faults"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
    process.wait(30)


def _broker_url(kind: str, sqlite_url: str) -> str:
    url = broker_url_for(kind, sqlite_url)
    if kind == "postgres":
        reset_database(url)
    return url


def _run_with_fault(
    kind: str, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> tuple[Path, dict[str, int], int]:
    """Runs JOBS jobs on two worker processes, injects ``fault`` a quarter of the way, waits for all."""
    broker_url = _broker_url(kind, sqlite_url)
    effects = tmp_path / "effects"
    (effects / "done").mkdir(parents=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MARKETJOBS_BROKER_URL": broker_url,
        "MARKETJOBS_DATABASE_URL": sqlite_url,
        "MARKETJOBS_LEASE_SECONDS": "2",
        "MARKETJOBS_RECORDS_FLUSH_SECONDS": "0.05",
        "FAULT_EFFECTS_DIR": str(effects),
    }
    for name in ("MARKETJOBS_BROKER_URL", "MARKETJOBS_DATABASE_URL", "FAULT_EFFECTS_DIR"):
        monkeypatch.setenv(name, env[name])
    configure(None)
    # A fresh import builds the actors' broker from this test's settings.
    sys.modules.pop("tests.fault_actors", None)
    fault_actors = importlib.import_module("tests.fault_actors")

    fault_actors.broker.flush_all()
    engine = create_store_engine(sqlite_url)
    victim, survivor = _start_worker(env), _start_worker(env)
    try:
        for n in range(JOBS):
            fault_actors.record_work.send(n)
        deadline = time.monotonic() + 60
        while len(os.listdir(effects / "done")) < JOBS // 4:
            assert time.monotonic() < deadline, "workers made no progress"
            time.sleep(0.01)
        if fault == "kill":
            _stop(victim, signal.SIGKILL)
        else:
            _drop_connections(broker_url)
        deadline = time.monotonic() + 120
        while True:
            with engine.connect() as connection:
                completed = connection.execute(
                    select(func.count()).select_from(JobRecord).where(JobRecord.status == "completed")
                ).scalar_one()
            if completed == JOBS:
                break
            assert time.monotonic() < deadline, f"only {completed}/{JOBS} jobs completed after the {fault}"
            time.sleep(0.2)
    finally:
        _stop(victim, signal.SIGKILL)
        _stop(survivor, signal.SIGTERM)
        fault_actors.broker.close()
        configure(None)
    with engine.connect() as connection:
        by_status = select(JobRecord.status, func.count()).group_by(JobRecord.status)
        statuses = dict(connection.execute(by_status).all())
        pids = connection.execute(select(func.count(func.distinct(JobRecord.pid)))).scalar_one()
    return effects, statuses, pids


def _drop_connections(url: str) -> None:
    """Terminates every other connection to the PostgreSQL database, as a failover or restart would."""
    with create_store_engine(url, shared=False).connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )


@pytest.mark.timeout(240)
@pytest.mark.parametrize("kind", ["sqlite", "postgres", "redis"])
def test_jobs_of_a_killed_worker_are_requeued_and_completed_once(
    kind: str, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    effects, statuses, pids = _run_with_fault(kind, sqlite_url, tmp_path, monkeypatch, "kill")
    assert len(os.listdir(effects / "done")) == JOBS, "every job's work was done"
    assert statuses == {"completed": JOBS}, "every job ends completed exactly once in its record"
    assert pids == 2, "both workers ran jobs"


@pytest.mark.timeout(240)
def test_dropped_database_connections_are_survived(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_service("postgres")
    effects, statuses, _ = _run_with_fault("postgres", sqlite_url, tmp_path, monkeypatch, "drop")
    assert len(os.listdir(effects / "done")) == JOBS
    assert statuses == {"completed": JOBS}
