"""``marketjobs worker`` runs `dramatiq actors` as users do: real processes, settings from the environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from marketjobs.config import configure, load_settings
from marketjobs.jobs import get_job
from marketjobs.jobs.broker import broker_from_url
from marketjobs.store.engine import create_store_engine
from tests.servers import free_port, require_service

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.timeout(120)
def test_worker_command_runs_the_actors_package_with_records(sqlite_url: str) -> None:
    broker_url = require_service("redis")
    env = {**os.environ, "MARKETJOBS_BROKER_URL": broker_url, "MARKETJOBS_DATABASE_URL": sqlite_url}
    env["MARKETJOBS_METRICS_PORT"] = str(free_port())  # the worker refuses a port in use
    settings = load_settings(broker_url=broker_url, database_url=sqlite_url)
    configure(settings)
    broker = broker_from_url(broker_url, settings=settings)
    broker.flush_all()
    import dramatiq

    sleep = dramatiq.actor(lambda **_: None, actor_name="sleep", queue_name="diagnostics", broker=broker)
    message = sleep.send_with_options(kwargs={"seconds": 0.2, "steps": 2}, priority="high")
    worker = subprocess.Popen(
        [sys.executable, "-m", "marketjobs", "worker", "-p", "1", "-t", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    engine = create_store_engine(sqlite_url)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                record = get_job(engine, message.message_id)
                if record.status == "completed":
                    break
            except Exception:
                pass
            assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else "worker exited"
            assert time.monotonic() < deadline, "the worker did not complete the job"
            time.sleep(0.1)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
        broker.close()
        configure(None)
    assert record.result == {"slept_seconds": 0.2}
    assert record.priority == "high"
    assert record.pid != os.getpid()
