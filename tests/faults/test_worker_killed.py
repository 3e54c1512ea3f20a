"""No job is lost when a worker process is killed with -9 mid-run (real processes, Redis broker)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from marketjobs.config import configure
from marketjobs.store.engine import create_store_engine
from marketjobs.store.models import JobRecord
from tests.services import require_service

ROOT = Path(__file__).resolve().parents[2]
JOBS = 300


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


@pytest.mark.timeout(180)
def test_jobs_of_a_killed_worker_are_requeued_and_completed_once(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker_url = require_service("redis")
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "MARKETJOBS_BROKER_URL": broker_url,
        "MARKETJOBS_DATABASE_URL": sqlite_url,
        "MARKETJOBS_LEASE_SECONDS": "2",
        "MARKETJOBS_RECORDS_FLUSH_SECONDS": "0.05",
    }
    for name in ("MARKETJOBS_BROKER_URL", "MARKETJOBS_DATABASE_URL"):
        monkeypatch.setenv(name, env[name])
    configure(None)
    sys.modules.pop("tests.fault_actors", None)
    from tests import fault_actors

    effects = redis.Redis.from_url(broker_url)
    effects.delete("fault-test:done")
    fault_actors.broker.flush_all()
    engine = create_store_engine(sqlite_url)
    victim, survivor = _start_worker(env), _start_worker(env)
    try:
        for n in range(JOBS):
            fault_actors.record_work.send(n)
        deadline = time.monotonic() + 60
        while effects.scard("fault-test:done") < JOBS // 4:
            assert time.monotonic() < deadline, "workers made no progress"
            time.sleep(0.01)
        _stop(victim, signal.SIGKILL)
        deadline = time.monotonic() + 120
        while True:
            with engine.connect() as connection:
                completed = connection.execute(
                    select(func.count()).select_from(JobRecord).where(JobRecord.status == "completed")
                ).scalar_one()
            if completed == JOBS:
                break
            assert time.monotonic() < deadline, f"only {completed}/{JOBS} jobs completed after the kill"
            time.sleep(0.2)
    finally:
        _stop(victim, signal.SIGKILL)
        _stop(survivor, signal.SIGTERM)
        fault_actors.broker.close()
        configure(None)
    assert effects.scard("fault-test:done") == JOBS
    with engine.connect() as connection:
        by_status = select(JobRecord.status, func.count()).group_by(JobRecord.status)
        statuses = dict(connection.execute(by_status).all())
        pids = connection.execute(select(func.count(func.distinct(JobRecord.pid)))).scalar_one()
    assert statuses == {"completed": JOBS}
    assert pids == 2, "both workers ran jobs"
