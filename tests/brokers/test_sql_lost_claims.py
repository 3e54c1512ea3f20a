"""The SQL broker after a claim whose answer was lost: found by benchmarks/faults.py's server crashes.

A claim commits its leases and then the connection drops before the rows reach the consumer (PostgreSQL or
MariaDB restarted between COMMIT and the reply). The rows are leased to a process that never saw them, and
the lease heartbeat renews every lease of its owner, so they are never delivered while that process lives.
The fix belongs with the consumers (renew only deliveries a consumer holds, or requeue the owner's leases
no consumer holds after a failed claim); until then this test documents the gap.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from marketjobs.brokers.sql import SQLBrokerBase
from tests.brokers.test_sql import QUEUE, consumer_of, drain, message


@pytest.fixture
def base(sql_url: str) -> Iterator[SQLBrokerBase]:
    broker = SQLBrokerBase(sql_url, lease_seconds=1.0, dead_message_ttl=200)
    broker.declare_queue(QUEUE)
    yield broker
    broker.flush_all()
    broker.close()


# Not strict: on a loaded machine a late heartbeat can let the lease lapse, and the message comes back.
@pytest.mark.xfail(
    strict=False,
    reason="the lease heartbeat renews rows a lost claim leased to this process, so they stay leased to it",
)
def test_a_message_whose_claim_answer_was_lost_is_delivered_again(base: SQLBrokerBase) -> None:
    consumer = consumer_of(base)  # starts the process' lease heartbeat
    base.enqueue(message(1))
    base.table.claim(QUEUE, base.owner, 1, base.lease_ms)  # committed; the answer never arrives
    delivered = drain(consumer, 1, timeout=4.0)  # four leases
    assert [m.args[0] for m in delivered] == [1]
    consumer.ack(delivered[0])
    consumer.close()
