"""A message naming another queue than the one it came from is run, not a dead worker thread."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq import Message
from sqlalchemy import update

from marketjobs.config import configure
from marketjobs.jobs import get_job
from marketjobs.jobs.broker import broker_from_url
from marketjobs.store.engine import create_store_engine
from marketjobs.store.models import BrokerMessage
from tests.conftest import broker_url_for, fast_settings, records_of, wait_until


@pytest.fixture(params=["stub", "sqlite", "redis"])
def broker(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[dramatiq.Broker]:
    url = broker_url_for(request.param, sqlite_url)
    settings = fast_settings(sqlite_url, url)
    configure(settings)
    broker = broker_from_url(url, settings=settings)
    yield broker
    broker.flush_all()
    broker.close()
    configure(None)


def forge_queue_name(broker: dramatiq.Broker, sent: Message[Any]) -> None:
    """Rewrites the stored ``sent`` so that its payload names a queue nobody consumes."""
    forged = sent.copy(queue_name=f"q{uuid.uuid4().hex}").encode()
    client: Any = getattr(broker, "client", None)
    if client is not None:
        client.hset(f"{broker.namespace}:{sent.queue_name}.msgs", sent.options["redis_message_id"], forged)  # type: ignore[attr-defined]
    elif hasattr(broker, "engine"):
        with broker.engine.begin() as connection:
            where = BrokerMessage.message_id == sent.message_id
            connection.execute(update(BrokerMessage).where(where).values(payload=forged))
    else:  # the stub: replace the queued payload
        queue = broker.queues[sent.queue_name]  # type: ignore[attr-defined]
        assert queue.get_nowait()
        queue.task_done()
        queue.put(forged)


def test_a_message_naming_another_queue_runs_on_its_own_queue_and_the_worker_goes_on(
    broker: dramatiq.Broker, queue_name: str
) -> None:
    ran: list[str] = []
    record = dramatiq.actor(queue_name=queue_name, broker=broker, actor_name="record")(ran.append)
    forged = record.send("forged")
    forge_queue_name(broker, forged)
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()
    try:
        wait_until(lambda: ran == ["forged"])
        record.send("next")  # the only worker thread is still alive
        wait_until(lambda: ran == ["forged", "next"])
        records = records_of(broker)
        wait_until(
            lambda: records.flush() and get_job(engine(broker), forged.message_id).status == "completed"
        )
    finally:
        worker.stop()


def engine(broker: dramatiq.Broker) -> Any:
    return create_store_engine(records_of(broker).settings.database_url)
