"""A paused queue hands out nothing on any broker until it is resumed; its messages are kept."""

from __future__ import annotations

import time
from collections.abc import Callable

import dramatiq
import pytest

from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.pause import PauseWatch
from marketjobs.clock import now_ms
from marketjobs.store.engine import create_store_engine
from marketjobs.store.queue_pauses import pause_queue, paused_queues, resume_queue
from tests.conftest import records_of, wait_until


def test_pause_watch_rereads_the_store_only_after_its_refresh_interval() -> None:
    reads: list[int] = []
    state = {"paused": {"analysis"}}

    def read() -> set[str]:
        reads.append(1)
        return state["paused"]

    watch = PauseWatch(read, refresh_seconds=0.2)
    assert watch.paused("analysis")
    assert watch.paused("analysis.high")
    assert not watch.paused("alerts")
    state["paused"] = set()
    assert watch.paused("analysis")  # cached
    time.sleep(0.25)
    assert not watch.paused("analysis")
    assert len(reads) == 2


def test_a_paused_queue_is_not_consumed_until_it_is_resumed(
    broker: dramatiq.Broker, start_worker: Callable[..., dramatiq.Worker], queue_name: str
) -> None:
    assert isinstance(broker, MarketJobsBrokerMixin)
    assert broker.pause_watch is not None
    broker.pause_watch = PauseWatch(broker.pause_watch._read, refresh_seconds=0.1)
    engine = create_store_engine(records_of(broker).settings.database_url)
    pause_queue(engine, queue_name, by="test", now_ms=now_ms())
    assert set(paused_queues(engine)) == {queue_name}
    done: list[int] = []
    actor = dramatiq.actor(lambda n: done.append(n), actor_name=f"{queue_name}_a", queue_name=queue_name)
    for n in range(3):
        actor.send(n)
    start_worker()
    time.sleep(1.0)
    assert done == []
    assert resume_queue(engine, queue_name) is True
    wait_until(lambda: sorted(done) == [0, 1, 2], timeout=20)
    assert resume_queue(engine, queue_name) is False


@pytest.fixture(autouse=True)
def _no_pauses_left(broker: dramatiq.Broker) -> None:
    engine = create_store_engine(records_of(broker).settings.database_url)
    for queue in paused_queues(engine):
        resume_queue(engine, queue)
