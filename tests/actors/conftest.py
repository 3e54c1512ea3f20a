"""Shared by the actor tests: the real actors bound to each test's broker, and the job records they write."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import dramatiq
from sqlalchemy import Engine

from marketjobs.config import configure
from marketjobs.jobs import get_job
from marketjobs.store.engine import create_store_engine
from marketjobs.store.models import JobRecord
from tests.conftest import records_of, wait_until


@contextmanager
def actor_module(broker: dramatiq.Broker, module_name: str, actor_name: str) -> Iterator[ModuleType]:
    """Imports ``actors.<module_name>`` and binds its actor ``actor_name`` to ``broker`` while in use."""
    settings = records_of(broker).settings
    # The actors package makes its own broker on import: a stub one, not var/marketjobs.db.
    configure(settings.model_copy(update={"broker_url": "stub://"}))
    module = importlib.import_module(f"actors.{module_name}")
    configure(settings)
    dramatiq.set_broker(broker)
    actor = getattr(module, actor_name)
    original = actor.broker
    actor.broker = broker
    broker.declare_actor(actor)
    try:
        yield module
    finally:
        actor.broker = original


def store(broker: dramatiq.Broker) -> Engine:
    """The store the broker's job records (and the actors) use."""
    return create_store_engine(records_of(broker).settings.database_url)


def job(broker: dramatiq.Broker, job_id: str) -> JobRecord:
    """The job's record, after writing every record the broker's middleware still holds."""
    records_of(broker).flush()
    return get_job(store(broker), job_id)


def wait_for(broker: dramatiq.Broker, job_id: str, status: str, timeout: float = 60.0) -> JobRecord:
    """The job's record once it reaches ``status``; fails the test after ``timeout`` seconds."""

    def reached() -> bool:
        try:
            return job(broker, job_id).status == status
        except Exception:
            return False

    wait_until(reached, timeout=timeout)
    return job(broker, job_id)
