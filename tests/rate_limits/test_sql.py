"""The SQL rate-limiter backend on SQLite, PostgreSQL and MariaDB: Dramatiq's limiters and barriers."""

from __future__ import annotations

import threading
import time
import uuid

from dramatiq.rate_limits import Barrier, ConcurrentRateLimiter, WindowRateLimiter

from marketjobs.rate_limits import SQLRateLimiterBackend


def key() -> str:
    return f"k{uuid.uuid4().hex[:12]}"


def test_add_only_sets_an_absent_or_expired_key(database_url: str) -> None:
    backend = SQLRateLimiterBackend(database_url)
    k = key()
    assert backend.add(k, 1, ttl=10_000) is True
    assert backend.add(k, 1, ttl=10_000) is False
    short = key()
    assert backend.add(short, 1, ttl=50) is True
    time.sleep(0.1)
    assert backend.add(short, 1, ttl=10_000) is True


def test_incr_and_decr_respect_their_bounds(database_url: str) -> None:
    backend = SQLRateLimiterBackend(database_url)
    k = key()
    assert backend.incr(k, 1, maximum=2, ttl=10_000)
    assert backend.incr(k, 1, maximum=2, ttl=10_000)
    assert not backend.incr(k, 1, maximum=2, ttl=10_000)
    assert backend.decr(k, 2, minimum=0, ttl=10_000)
    assert not backend.decr(k, 1, minimum=0, ttl=10_000)


def test_concurrent_limiter_admits_one_holder_across_threads(database_url: str) -> None:
    limiter = ConcurrentRateLimiter(SQLRateLimiterBackend(database_url), key(), limit=1)
    holders: list[int] = []
    peak: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            hold(n)
        except BaseException as exc:
            errors.append(exc)

    def hold(n: int) -> None:
        for _ in range(5):
            with limiter.acquire(raise_on_failure=False) as acquired:
                if acquired:
                    with lock:
                        holders.append(n)
                        peak.append(len(holders))
                    time.sleep(0.005)
                    with lock:
                        holders.remove(n)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert peak
    assert max(peak) == 1


def test_window_limiter_counts_across_its_window(database_url: str) -> None:
    limiter = WindowRateLimiter(SQLRateLimiterBackend(database_url), key(), limit=3, window=5)
    admitted = 0
    for _ in range(6):
        with limiter.acquire(raise_on_failure=False) as acquired:
            admitted += int(acquired)
    assert admitted == 3


def test_barrier_releases_on_the_last_party_and_notifies_waiters(database_url: str) -> None:
    barrier = Barrier(SQLRateLimiterBackend(database_url), key(), ttl=10_000)
    assert barrier.create(parties=3)
    assert not barrier.create(parties=3)
    assert barrier.wait(block=False) is False
    assert barrier.wait(block=False) is False
    assert barrier.wait(block=False) is True
