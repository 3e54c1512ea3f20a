"""Shared fixtures: settings on a fresh store, brokers (stub, Redis, RabbitMQ), in-process workers."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from sqlalchemy import Engine, MetaData

from marketjobs.config import Settings, configure, load_settings
from marketjobs.jobs.broker import broker_from_url
from marketjobs.jobs.records import JobRecords
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import upgrade
from tests.servers import require_service

DATABASES = ["sqlite", "postgres", "mariadb"]
BROKERS = ["stub", "sqlite", "postgres", "redis", "rabbitmq"]


def reset_database(url: str) -> None:
    """Drops every table of a shared test database (marketjobs' and any a test left behind)."""
    engine = create_store_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty store on each database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = require_service(request.param)
        reset_database(url)
    upgrade(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated, empty SQLite store."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    return url


@pytest.fixture
def engine(database_url: str) -> Engine:
    """Engine of the migrated store."""
    return create_store_engine(database_url)


def fast_settings(database_url: str, broker_url: str = "stub://", **overrides: Any) -> Settings:
    """Settings with short intervals so tests run quickly."""
    values: dict[str, Any] = {
        "broker_url": broker_url,
        "database_url": database_url,
        "records_flush_seconds": 0.02,
        "cancel_poll_seconds": 0.05,
        "progress_interval_seconds": 0.0,
        "min_backoff_seconds": 0.01,
        "max_backoff_seconds": 0.05,
        "max_retries": 2,
    }
    values.update(overrides)
    return load_settings(**values)


def broker_url_for(kind: str, sqlite_url: str) -> str:
    """The URL of a broker of ``kind``: the stub, the SQL broker on SQLite or PostgreSQL, Redis, RabbitMQ."""
    if kind == "stub":
        return "stub://"
    if kind == "sqlite":
        return sqlite_url
    return require_service(kind)


@pytest.fixture(params=BROKERS)
def broker(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[dramatiq.Broker]:
    """A marketjobs broker of each kind, recording jobs in a fresh SQLite store."""
    url = broker_url_for(request.param, sqlite_url)
    settings = fast_settings(sqlite_url, url)
    configure(settings)
    broker = broker_from_url(url, settings=settings)
    dramatiq.set_broker(broker)
    yield broker
    try:
        broker.flush_all()
    finally:
        broker.close()
        configure(None)


@pytest.fixture
def queue_name() -> str:
    """A queue name no other test uses."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def start_worker(broker: dramatiq.Broker) -> Iterator[Callable[..., dramatiq.Worker]]:
    """Starts in-process workers on ``broker``; stops them after the test."""
    workers: list[dramatiq.Worker] = []

    def start(**kwargs: Any) -> dramatiq.Worker:
        kwargs.setdefault("worker_timeout", 50)
        kwargs.setdefault("worker_threads", 2)
        worker = dramatiq.Worker(broker, **kwargs)
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def records_of(broker: dramatiq.Broker) -> JobRecords:
    """The broker's job-records middleware."""
    return next(m for m in broker.middleware if isinstance(m, JobRecords))


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0, interval: float = 0.02) -> None:
    """Polls ``predicate`` until true; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")
