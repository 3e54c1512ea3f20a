"""A real ``marketjobs supervisor`` in a subprocess, with a sender on the same broker and store."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import yaml

from marketjobs import clock
from marketjobs.config import configure
from marketjobs.jobs.broker import broker_from_url
from marketjobs.store.engine import create_store_engine
from marketjobs.store.models import JobRecord
from marketjobs.store.workers import WorkerStatus, list_workers
from tests.conftest import broker_url_for, fast_settings
from tests.servers import free_port

#: Supervisor settings the tests start from (fast ticks, fast heartbeats).
BASE_SETTINGS: dict[str, Any] = {
    "supervisor_interval_seconds": 0.5,
    "heartbeat_seconds": 0.5,
    "worker_lost_seconds": 5,
    "lease_seconds": 3,
    "records_flush_seconds": 0.05,
    "log_level": "INFO",
}


@dataclass
class Running:
    """A supervisor subprocess and what the test needs to drive and observe it."""

    process: subprocess.Popen[bytes]
    broker: dramatiq.Broker
    database_url: str
    metrics_url: str
    log: Path
    actors: dict[str, dramatiq.Actor[..., Any]]

    def send(self, actor: str, count: int = 1, **kwargs: Any) -> list[str]:
        """Sends ``count`` messages to the diagnostics actor ``actor``; returns their ids."""
        return [self.actors[actor].send(**kwargs).message_id for _ in range(count)]

    def workers(self, pool: str) -> list[WorkerStatus]:
        """The pool's running workers from the registry."""
        return list_workers(
            create_store_engine(self.database_url),
            now_ms=clock.now_ms(),
            lost_after_ms=5000,
            states=("running",),
            pool=pool,
        )

    def statuses(self, ids: list[str]) -> dict[str, str]:
        """Job id -> status of the given jobs' records."""
        engine = create_store_engine(self.database_url)
        with engine.connect() as connection:
            rows = connection.execute(
                JobRecord.__table__.select().where(JobRecord.__table__.c.id.in_(ids))
            ).mappings()
            return {row["id"]: row["status"] for row in rows}

    def metric(self, name: str, **labels: str) -> float:
        """The value of one series on the supervisor's metrics endpoint (0 when absent)."""
        try:
            text = urllib.request.urlopen(self.metrics_url, timeout=5).read().decode()
        except OSError:
            return 0.0
        for line in text.splitlines():
            if not line.startswith(name + "{") and line.split(" ")[0] != name:
                continue
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def output(self) -> str:
        """Everything the supervisor and its workers printed so far."""
        return self.log.read_text(errors="replace")


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, running: Running) -> None:
    """Polls ``predicate``; fails with the supervisor's recent output after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        assert running.process.poll() is None, f"supervisor exited:\n{running.output()[-3000:]}"
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; supervisor output:\n{running.output()[-3000:]}")


@pytest.fixture(params=["sqlite", "redis"])
def supervise(
    request: pytest.FixtureRequest, sqlite_url: str, tmp_path: Path
) -> Iterator[Callable[..., Running]]:
    """Starts ``marketjobs supervisor`` with the given pools on the SQL broker (SQLite) or Redis."""
    broker_url = broker_url_for(request.param, sqlite_url)
    started: list[Running] = []

    def start(pools: dict[str, dict[str, Any]], **settings: Any) -> Running:
        port = free_port()
        config = {**BASE_SETTINGS, **settings, "pools": pools, "metrics_port": port}
        config_file = tmp_path / "marketjobs.yaml"
        config_file.write_text(yaml.safe_dump(config))
        env = {
            **os.environ,
            "MARKETJOBS_BROKER_URL": broker_url,
            "MARKETJOBS_DATABASE_URL": sqlite_url,
            "MARKETJOBS_CONFIG": str(config_file),
        }
        sender_settings = fast_settings(sqlite_url, broker_url)
        configure(sender_settings)
        broker = broker_from_url(broker_url, settings=sender_settings)
        broker.flush_all()
        actors = {
            name: dramatiq.actor(lambda **_: None, actor_name=name, queue_name="diagnostics", broker=broker)
            for name in ("sleep", "noop", "hold_memory")
        }
        log = tmp_path / "supervisor.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "marketjobs", "supervisor"],
                cwd=tmp_path,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        running = Running(process, broker, sqlite_url, f"http://127.0.0.1:{port}/metrics", log, actors)
        started.append(running)
        return running

    yield start
    for running in started:
        if running.process.poll() is None:
            os.killpg(running.process.pid, signal.SIGTERM)
            try:
                running.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(running.process.pid, signal.SIGKILL)
        try:
            running.broker.flush_all()
        finally:
            running.broker.close()
    configure(None)
