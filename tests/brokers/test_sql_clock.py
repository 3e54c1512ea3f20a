"""On PostgreSQL and MariaDB the SQL broker reads the database's clock, not its host's: a process whose clock
is wrong neither takes a live lease, nor keeps an expired one, nor moves a message's due time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager

import pytest

from marketjobs.brokers.sql import SQLBrokerBase
from marketjobs.clock import use_clock
from tests.brokers.test_sql import QUEUE, consumer_of, drain, message
from tests.conftest import reset_database
from tests.servers import require_service

#: How wrong the skewed process' clock is, in seconds.
SKEW_SECONDS = 3600.0


@pytest.fixture(params=["postgres", "mariadb"])
def server_url(request: pytest.FixtureRequest) -> str:
    """An empty database on a server that processes of several hosts share."""
    url = require_service(request.param)
    reset_database(url)
    return url


@pytest.fixture
def brokers(server_url: str) -> Iterator[list[SQLBrokerBase]]:
    """Closes the brokers a test opens and empties their queue."""
    opened: list[SQLBrokerBase] = []
    yield opened
    if opened:
        opened[0].flush_all()
    for broker in opened:
        broker.close()


def open_broker(brokers: list[SQLBrokerBase], url: str, lease_seconds: float) -> SQLBrokerBase:
    broker = SQLBrokerBase(url, lease_seconds=lease_seconds)
    broker.declare_queue(QUEUE)
    brokers.append(broker)
    return broker


def clock(skew_seconds: float) -> AbstractContextManager[None]:
    """This process' clock, ``skew_seconds`` off within the block."""
    return use_clock(lambda: time.time() + skew_seconds)


@pytest.mark.parametrize(
    ("holder_skew", "other_skew"),
    [(-SKEW_SECONDS, 0.0), (0.0, SKEW_SECONDS)],
    ids=["holder-behind", "other-ahead"],
)
def test_a_skewed_clock_never_takes_a_live_lease(
    server_url: str, brokers: list[SQLBrokerBase], holder_skew: float, other_skew: float
) -> None:
    holder = open_broker(brokers, server_url, lease_seconds=30)
    other = open_broker(brokers, server_url, lease_seconds=30)
    holder.enqueue(message(1))
    with clock(holder_skew):
        assert len(drain(consumer_of(holder), 1)) == 1
    with clock(other_skew):
        thief = consumer_of(other)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            assert next(thief) is None, "a lease 30 s from expiry on the database's clock was taken"
        thief.close()


@pytest.mark.parametrize(
    ("holder_skew", "other_skew"),
    [(SKEW_SECONDS, 0.0), (0.0, -SKEW_SECONDS)],
    ids=["holder-ahead", "other-behind"],
)
def test_a_skewed_clock_never_keeps_an_expired_lease(
    server_url: str, brokers: list[SQLBrokerBase], holder_skew: float, other_skew: float
) -> None:
    holder = open_broker(brokers, server_url, lease_seconds=0.3)
    other = open_broker(brokers, server_url, lease_seconds=0.3)
    holder.enqueue(message(1))
    with clock(holder_skew):
        (first,) = drain(consumer_of(holder), 1)
        holder.close()  # its heartbeat stops, as with kill -9: the lease runs out
    time.sleep(0.4)
    with clock(other_skew):
        consumer = consumer_of(other)
        (again,) = drain(consumer, 1, timeout=5.0)
        assert again.message_id == first.message_id
        assert again.deliveries == 2
        consumer.ack(again)
        assert next(consumer) is None
        consumer.close()
    assert other.table.unfinished(QUEUE) == 0


@pytest.mark.parametrize("producer_skew", [SKEW_SECONDS, -SKEW_SECONDS], ids=["ahead", "behind"])
def test_due_times_are_set_on_the_databases_clock(
    server_url: str, brokers: list[SQLBrokerBase], producer_skew: float
) -> None:
    producer = open_broker(brokers, server_url, lease_seconds=30)
    with clock(producer_skew):
        producer.enqueue(message(1))
        producer.enqueue(message(2), delay=60_000)
    consumer = consumer_of(open_broker(brokers, server_url, lease_seconds=30))
    (ready,) = drain(consumer, 1, timeout=5.0)
    assert ready.args[0] == 1
    assert drain(consumer, 1, timeout=0.5) == [], "the delayed message is due in a minute, not before"
    assert producer.queue_depth(QUEUE).delayed == 1
    consumer.close()
