"""``join(queue, fail_fast=True)`` on the SQL broker behaves like Dramatiq's StubBroker: a job that failed in
this process raises its own exception; a message dead-lettered elsewhere raises QueueJoinFailed naming the
error."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq.middleware import Shutdown, SkipMessage, TimeLimitExceeded
from dramatiq.rate_limits import RateLimitExceeded

from marketjobs.brokers.sql import SQLBrokerBase
from marketjobs.errors import QueueJoinFailed
from tests.brokers.test_sql import QUEUE, consumer_of, drain, message
from tests.conftest import wait_until

StartWorker = Callable[[], dramatiq.Worker]


@pytest.fixture
def base(sql_url: str) -> Iterator[SQLBrokerBase]:
    """A bare SQL broker with Dramatiq's default middleware, its TimeLimit timer started."""
    broker = SQLBrokerBase(sql_url)
    broker.declare_queue(QUEUE)
    broker.emit_after("process_boot")  # starts TimeLimit's timer thread, as the dramatiq CLI does
    yield broker
    broker.flush_all()
    broker.emit_before("process_stop")
    broker.close()


@pytest.fixture
def start_worker(base: SQLBrokerBase) -> Iterator[StartWorker]:
    """Starts a one-thread worker on ``base``; stops it after the test."""
    workers: list[dramatiq.Worker] = []

    def start() -> dramatiq.Worker:
        worker = dramatiq.Worker(base, worker_threads=1, worker_timeout=50)
        worker.start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def _raise(exception: BaseException) -> Callable[[], None]:
    def fail() -> None:
        raise exception

    return fail


def _run_past_time_limit() -> None:
    for _ in range(100):
        time.sleep(0.05)


#: name -> (actor options, actor body, expected exception type, its message or None)
FAILURES: dict[str, tuple[dict[str, Any], Callable[[], None], type[BaseException], str | None]] = {
    "actor-error": ({}, _raise(ValueError("bad data")), ValueError, "bad data"),
    "time-limit": ({"time_limit": 100}, _run_past_time_limit, TimeLimitExceeded, None),
    "skip-message": ({"max_age": 1}, lambda: None, SkipMessage, "age limit"),
    "rate-limit": ({}, _raise(RateLimitExceeded("over the limit")), RateLimitExceeded, "over the limit"),
    "shutdown": ({}, _raise(Shutdown("worker stopping")), Shutdown, "worker stopping"),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_join_fail_fast_raises_the_exception_of_a_job_that_failed_in_this_process(
    base: SQLBrokerBase, start_worker: StartWorker, failure: str
) -> None:
    options, body, expected, text = FAILURES[failure]
    actor = dramatiq.actor(
        body, actor_name="failing", queue_name=QUEUE, broker=base, max_retries=0, **options
    )
    actor.send()
    time.sleep(0.01)  # older than max_age=1 ms when it is processed
    start_worker()
    with pytest.raises(expected, match=text):
        base.join(QUEUE, fail_fast=True, timeout=15_000)


def test_join_fail_fast_raises_for_a_job_that_failed_before_the_join_began(
    base: SQLBrokerBase, start_worker: StartWorker
) -> None:
    actor = dramatiq.actor(
        _raise(ValueError("bad data")), actor_name="failing", queue_name=QUEUE, broker=base
    )
    actor.send_with_options(max_retries=0)
    start_worker()
    wait_until(lambda: base.queue_depth(QUEUE).dead == 1)
    with pytest.raises(ValueError, match="bad data"):
        base.join(QUEUE, fail_fast=True, timeout=5_000)
    base.join(QUEUE, timeout=5_000)  # without fail_fast it just waits
    base.flush_all()  # forgets failures, like StubBroker.flush_all
    base.join(QUEUE, fail_fast=True, timeout=5_000)


def test_join_fail_fast_names_the_error_of_a_message_dead_lettered_in_another_process(
    base: SQLBrokerBase, sql_url: str
) -> None:
    other = SQLBrokerBase(sql_url)  # another process' broker
    base.enqueue(message(1))
    consumer = consumer_of(other)
    (proxy,) = drain(consumer, 1)

    def fail_elsewhere() -> None:
        time.sleep(0.2)
        proxy.stuff_exception(ValueError("cannot reach postgresql://user:hunter2@db/prices"))
        proxy.fail()
        consumer.nack(proxy)
        next(consumer)  # writes the nack

    failing = threading.Thread(target=fail_elsewhere)
    failing.start()
    try:
        with pytest.raises(QueueJoinFailed, match="ValueError: cannot reach") as raised:
            base.join(QUEUE, fail_fast=True, timeout=10_000)
    finally:
        failing.join()
        consumer.close()
        other.close()
    assert proxy.message_id in str(raised.value)
    assert "hunter2" not in str(raised.value), "the stored error is redacted"
