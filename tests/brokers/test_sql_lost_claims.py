"""The SQL broker after a claim whose answer was lost: found by benchmarks/faults.py's server crashes.

A claim commits its leases and then the connection drops before the rows reach the consumer (PostgreSQL or
MariaDB restarted between COMMIT and the reply). The rows are leased to a process that never saw them, and
the lease heartbeat renews every lease of its owner: unless the consumer gives them back, they are never
delivered while that process lives.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from marketjobs.brokers.sql import SQLBrokerBase
from marketjobs.brokers.sql_consumer import SQLConsumer
from tests.brokers.test_sql import QUEUE, consumer_of, drain, message


@pytest.fixture
def base(sql_url: str) -> Iterator[SQLBrokerBase]:
    broker = SQLBrokerBase(sql_url, lease_seconds=1.0, dead_message_ttl=200)
    broker.declare_queue(QUEUE)
    yield broker
    broker.flush_all()
    broker.close()


def _lose_next_claim_answer(consumer: SQLConsumer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The consumer's next claim that leases rows commits, then fails as a dropped connection would."""
    table, claim = consumer.table, consumer.table.claim

    def lossy(*args: Any, **kwargs: Any) -> Any:
        claimed = claim(*args, **kwargs)
        if claimed:
            monkeypatch.setattr(table, "claim", claim)
            raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
        return claimed

    monkeypatch.setattr(table, "claim", lossy)


def test_messages_a_lost_claim_answer_leased_are_returned_and_delivered(
    base: SQLBrokerBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer = consumer_of(base)  # starts the process' lease heartbeat, which renews every lease it owns
    _lose_next_claim_answer(consumer, monkeypatch)
    base.enqueue(message(1))
    base.enqueue(message(2))
    delivered = drain(consumer, 2, timeout=4.0)  # four leases: a renewed lease would never lapse
    assert sorted(m.args[0] for m in delivered) == [1, 2]
    assert all(m.deliveries == 1 for m in delivered), "the lost lease is not counted as a delivery"
    for proxy in delivered:
        consumer.ack(proxy)
    consumer.close()
    assert base.table.unfinished(QUEUE) == 0


def test_deliveries_in_use_are_kept_when_leases_are_returned(
    base: SQLBrokerBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer = consumer_of(base)
    base.enqueue(message(1))
    (running,) = drain(consumer, 1)
    _lose_next_claim_answer(consumer, monkeypatch)
    base.enqueue(message(2))
    (second,) = drain(consumer, 1, timeout=4.0)
    assert second.args[0] == 2
    assert drain(consumer, 1, timeout=0.5) == [], "the message being worked on stayed with its worker"
    for proxy in (running, second):
        consumer.ack(proxy)
    consumer.close()
    assert base.table.unfinished(QUEUE) == 0
