"""The Redis broker's consumers: messages fetched by a worker but never received are not stranded, and acks
held for their job records are settled together once written."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq.common import xq_name

from marketjobs.brokers.priorities import priority_queue_name
from marketjobs.brokers.redis import RedisBroker
from marketjobs.constants import Priority
from tests.servers import require_service


@pytest.fixture
def broker() -> Iterator[RedisBroker]:
    broker = RedisBroker(url=require_service("redis"), heartbeat_timeout=60_000)
    yield broker
    broker.flush_all()
    broker.close()


@pytest.fixture
def queue(broker: RedisBroker) -> str:
    """A queue of the test's own with two messages waiting in it; the name the consumers read."""
    name = f"lost-{uuid.uuid4().hex[:8]}"

    @dramatiq.actor(queue_name=name, broker=broker)
    def work(n: int) -> None:
        """Nothing: the test settles its messages by hand."""

    work.send(1)
    work.send(2)
    return priority_queue_name(name, Priority.NORMAL)


def _fetched(broker: RedisBroker, queue: str) -> set[bytes]:
    client: Any = broker.client
    return set(client.smembers(f"{broker.namespace}:__acks__.{broker.broker_id}.{queue}"))


def _receive(consumer: Any, count: int) -> list[Any]:
    received: list[Any] = []
    for _ in range(20):
        message = next(consumer)
        if message is not None:
            received.append(message)
        if len(received) == count:
            break
    return received


def test_messages_whose_fetch_answer_was_lost_are_requeued_by_the_next_consumer(
    broker: RedisBroker, queue: str
) -> None:
    # The fetch script moves the ids to this worker's set of fetched messages; its answer never arrives
    # (Redis crashed, the connection dropped), so no consumer of this process holds them.
    broker.do_fetch(queue, 2)
    assert len(_fetched(broker, queue)) == 2
    consumer = broker.consume(queue, prefetch=2, timeout=100)
    received = _receive(consumer, 2)
    assert sorted(m.args[0] for m in received) == [1, 2]
    for message in received:
        consumer.ack(message)
    assert _fetched(broker, queue) == set()
    consumer.close()


def test_messages_this_process_holds_stay_with_it_when_a_new_consumer_starts(
    broker: RedisBroker, queue: str
) -> None:
    first = broker.consume(queue, prefetch=2, timeout=100)
    held = _receive(first, 2)
    assert len(held) == 2
    # A connection error makes Dramatiq start a new consumer while worker threads still run the messages.
    second = broker.consume(queue, prefetch=2, timeout=100)
    assert _receive(second, 1) == [], "nothing was requeued: both messages are still being worked on"
    assert len(_fetched(broker, queue)) == 2
    for message in held:
        second.ack(message)
    assert _fetched(broker, queue) == set()
    first.close()
    second.close()


def test_held_acks_and_nacks_are_settled_together_when_their_gates_open(
    broker: RedisBroker, queue: str
) -> None:
    consumer = broker.consume(queue, prefetch=2, timeout=100)
    done, failed = _receive(consumer, 2)
    stored = threading.Event()
    for message in (done, failed):
        message.hold_ack_until(stored.is_set)
    consumer.ack(done)
    consumer.nack(failed)
    next(consumer)  # gates closed: both stay fetched by this worker
    assert len(_fetched(broker, queue)) == 2
    stored.set()
    next(consumer)  # one round trip settles both
    assert _fetched(broker, queue) == set()
    client: Any = broker.client
    assert client.hlen(f"{broker.namespace}:{queue}.msgs") == 0
    dead_letters = client.hkeys(f"{broker.namespace}:{xq_name(queue)}.msgs")
    assert dead_letters == [failed.options["redis_message_id"].encode()]
    consumer.close()


def test_held_acks_are_settled_one_by_one_when_redis_lost_the_script(broker: RedisBroker, queue: str) -> None:
    consumer = broker.consume(queue, prefetch=2, timeout=100)
    received = _receive(consumer, 2)
    stored = threading.Event()
    for message in received:
        message.hold_ack_until(stored.is_set)
        consumer.ack(message)
    client: Any = broker.client
    client.script_flush()  # as after a restart of Redis
    stored.set()
    next(consumer)
    assert _fetched(broker, queue) == set()
    consumer.close()
