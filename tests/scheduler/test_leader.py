"""Leader leases in SQL and Redis: one holder at a time, renewal, takeover after expiry, release."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import Engine

from scheduler.leader import RedisLease, SqlLease, lease_from_url
from tests.servers import require_service


class MillisClock:
    """A settable clock in epoch milliseconds."""

    def __init__(self) -> None:
        self.now = 1_800_000_000_000

    def __call__(self) -> int:
        return self.now


def test_one_sql_holder_at_a_time_and_a_follower_takes_over_after_expiry(engine: Engine) -> None:
    clock = MillisClock()
    a = SqlLease(engine, holder="a", ttl_seconds=9, clock=clock)
    b = SqlLease(engine, holder="b", ttl_seconds=9, clock=clock)
    assert a.acquire()
    assert not b.acquire()
    clock.now += 6_000
    assert a.acquire()  # renewed: 9 s from now
    clock.now += 6_000
    assert not b.acquire()
    clock.now += 3_001
    assert b.acquire()
    assert not a.acquire()
    assert a.renew_seconds == 3


def test_a_released_sql_lease_is_free_at_once(engine: Engine) -> None:
    clock = MillisClock()
    a = SqlLease(engine, holder="a", ttl_seconds=60, clock=clock)
    b = SqlLease(engine, holder="b", ttl_seconds=60, clock=clock)
    assert a.acquire()
    b.release()  # not the holder: no effect
    assert not b.acquire()
    a.release()
    assert b.acquire()


def test_redis_lease_expires_on_the_server_clock() -> None:
    url = require_service("redis")
    name = f"test-{uuid.uuid4().hex[:8]}"
    a = lease_from_url(url, "sqlite://", holder="a", ttl_seconds=0.3, name=name)
    b = lease_from_url(url, "sqlite://", holder="b", ttl_seconds=0.3, name=name)
    assert isinstance(a, RedisLease)
    try:
        assert a.acquire()
        assert not b.acquire()
        time.sleep(0.2)
        assert a.acquire()  # renewed by the compare-and-renew script
        time.sleep(0.2)
        assert not b.acquire()
        time.sleep(0.2)
        assert b.acquire()
        assert not a.acquire()
        a.release()  # not the holder: no effect
        assert not a.acquire()
        b.release()
        assert a.acquire()
    finally:
        a.client.delete(a.key)


@pytest.mark.parametrize("broker_url", ["sqlite:///x.db", "amqp://localhost", "stub://"])
def test_non_redis_brokers_use_the_sql_lease(broker_url: str, sqlite_url: str) -> None:
    assert isinstance(lease_from_url(broker_url, sqlite_url, holder="a", ttl_seconds=1), SqlLease)
