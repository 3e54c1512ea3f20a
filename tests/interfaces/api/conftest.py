"""A live API for the API tests: a real uvicorn (in a thread) serving :func:`create_app` on SQLite and on
PostgreSQL, the SQL broker on the same database, an operator and a viewer token, the product's job types
plus two test job types bound to the test's broker, and in-process workers on demand."""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dramatiq
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from interfaces.api.app import create_app
from interfaces.api.auth import hash_token
from marketjobs.config import Settings, configure
from marketjobs.jobs import current_job, get_job
from marketjobs.jobs.broker import broker_from_url
from marketjobs.jobs.params import ValidatedActor
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import upgrade
from marketjobs.store.models import JobRecord
from tests.conftest import fast_settings, records_of, reset_database, wait_until
from tests.servers import free_port, require_service

#: Databases the API is tested on (the SQL broker runs on the same one).
API_DATABASES = ["sqlite", "postgres"]
OPERATOR_TOKEN = "op-" + uuid.uuid4().hex
VIEWER_TOKEN = "view-" + uuid.uuid4().hex
#: Seconds between the event stream's ``stats`` events in tests.
EVENT_INTERVAL = 0.3


class ProbeParams(BaseModel):
    """Parameters of the test job type ``api_probe`` (with secrets, to check they never leave)."""

    model_config = ConfigDict(extra="forbid")

    password: str = "hunter2"
    source_url: str = "https://example.com/bars"
    fail: bool = False
    note: str = ""


class _ProbeActor(ValidatedActor):
    params_model = ProbeParams


#: Set while ``api_probe`` jobs asked to fail should fail (clear it to let their retries pass).
FAILING = threading.Event()


def _probe(password: str = "", source_url: str = "", fail: bool = False, note: str = "") -> dict[str, Any]:
    if fail and FAILING.is_set():
        raise RuntimeError(f"could not fetch {source_url} (Authorization: Bearer {password})")
    return {"fetched": source_url, "note": note}


def _crawl(steps: int = 200) -> None:
    for _ in range(steps):
        if current_job().cancelled:
            return
        time.sleep(0.05)


@dataclass
class LiveApi:
    """A running API and what it serves from."""

    url: str
    app: FastAPI
    settings: Settings
    broker: dramatiq.Broker
    engine: Engine
    operator: httpx.Client
    viewer: httpx.Client
    anonymous: httpx.Client
    workers: list[dramatiq.Worker] = field(default_factory=list)

    def flush(self) -> None:
        """Writes every job record the broker's middleware still holds."""
        records_of(self.broker).flush()

    def job(self, job_id: str) -> JobRecord:
        """The job's record, after a flush."""
        self.flush()
        return get_job(self.engine, job_id)

    def wait_for_status(self, job_id: str, *statuses: str, timeout: float = 30.0) -> JobRecord:
        """The job's record once it reaches one of ``statuses``."""

        def reached() -> bool:
            try:
                return self.job(job_id).status in statuses
            except Exception:
                return False

        wait_until(reached, timeout=timeout)
        return self.job(job_id)

    def start_worker(self, **kwargs: Any) -> dramatiq.Worker:
        """An in-process worker on the API's broker (stopped after the test)."""
        kwargs.setdefault("worker_timeout", 50)
        kwargs.setdefault("worker_threads", 2)
        worker = dramatiq.Worker(self.broker, **kwargs)
        worker.start()
        self.workers.append(worker)
        return worker

    def send_probe(self, **params: Any) -> str:
        """Sends an ``api_probe`` job through the API (as an operator); its id."""
        response = self.operator.post("/api/enqueue/api_probe", json=params)
        assert response.status_code == 200, response.text
        return str(response.json()["id"])


@pytest.fixture(params=API_DATABASES)
def api_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty store (and SQL broker) on SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'api.db'}"
    else:
        url = require_service(request.param)
        reset_database(url)
    upgrade(url)
    return url


def _product_actors(settings: Settings) -> list[dramatiq.Actor[Any, Any]]:
    """The product's actors (imported on a stub broker, never var/marketjobs.db)."""
    configure(settings.model_copy(update={"broker_url": "stub://"}))
    package = importlib.import_module("actors")
    configure(settings)
    return [package.broker.get_actor(name) for name in sorted(package.broker.actors)]


def _serve(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api-under-test", daemon=True)
    thread.start()
    wait_until(lambda: server.started, timeout=30)
    return server, thread, f"http://127.0.0.1:{port}"


@contextmanager
def running_api(database_url: str, **overrides: Any) -> Iterator[LiveApi]:
    """The API served by uvicorn on a free port, over the store and SQL broker at ``database_url``
    (settings: the fast test settings, then ``overrides``)."""
    tokens = [
        {"name": "ops", "role": "operator", "sha256": hash_token(OPERATOR_TOKEN)},
        {"name": "watcher", "role": "viewer", "sha256": hash_token(VIEWER_TOKEN)},
    ]
    settings = fast_settings(database_url, database_url, **{"api_tokens": tokens, **overrides})
    products = _product_actors(settings)
    broker = broker_from_url(database_url, settings=settings)
    dramatiq.set_broker(broker)
    bound = [(actor, actor.broker) for actor in products]
    for actor in products:
        actor.broker = broker
        broker.declare_actor(actor)
    dramatiq.actor(broker=broker, actor_name="api_probe", actor_class=_ProbeActor, max_retries=0)(_probe)
    dramatiq.actor(broker=broker, actor_name="api_crawl", max_retries=0)(_crawl)
    FAILING.set()
    app = create_app(settings, broker)
    app.state.event_interval_seconds = EVENT_INTERVAL
    server, thread, url = _serve(app)
    clients = [
        httpx.Client(base_url=url, headers=headers, timeout=30)
        for headers in (
            {"Authorization": f"Bearer {OPERATOR_TOKEN}"},
            {"Authorization": f"Bearer {VIEWER_TOKEN}"},
            {},
        )
    ]
    operator, viewer, anonymous = clients
    engine = create_store_engine(database_url)
    api = LiveApi(url, app, settings, broker, engine, operator, viewer, anonymous)
    try:
        yield api
    finally:
        for client in clients:
            client.close()
        server.should_exit = True
        thread.join(timeout=15)
        for worker in api.workers:
            worker.stop()
        for actor, original in bound:
            actor.broker = original
        try:
            broker.flush_all()
        finally:
            broker.close()
            configure(None)


@pytest.fixture
def live_api(api_database: str) -> Iterator[LiveApi]:
    """The live API on SQLite, then on PostgreSQL."""
    with running_api(api_database) as api:
        yield api


@pytest.fixture
def sqlite_api(tmp_path: Path) -> Iterator[LiveApi]:
    """The live API on SQLite only (for tests whose subject does not depend on the database)."""
    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade(url)
    with running_api(url) as api:
        yield api


def error_of(response: httpx.Response, status: int) -> str:
    """The error message of ``response``, after checking it has ``status``."""
    assert response.status_code == status, response.text
    return str(response.json()["error"])
