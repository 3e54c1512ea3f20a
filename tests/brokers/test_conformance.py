"""Dramatiq's broker contract, run against every broker: stub, SQL (SQLite, PostgreSQL), Redis, RabbitMQ."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import dramatiq
import pytest
from dramatiq import group, pipeline
from dramatiq.rate_limits import ConcurrentRateLimiter

from marketjobs.brokers import queue_depths
from marketjobs.jobs.broker import rate_limiter_backend
from tests.conftest import wait_until

StartWorker = Callable[..., dramatiq.Worker]


def dead_count(broker: dramatiq.Broker, queue_name: str) -> int:
    return sum(d.dead for d in queue_depths(broker) if d.queue.startswith(queue_name))


def total_count(broker: dramatiq.Broker, queue_name: str) -> int:
    return sum(d.ready + d.delayed for d in queue_depths(broker) if d.queue.startswith(queue_name))


def test_acked_messages_leave_the_queue(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    done: list[int] = []

    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def work(n: int) -> None:
        done.append(n)

    for n in range(20):
        work.send(n)
    start_worker()
    wait_until(lambda: len(done) == 20)
    wait_until(lambda: total_count(broker, queue_name) == 0)
    assert sorted(done) == list(range(20))
    assert dead_count(broker, queue_name) == 0


def test_failed_messages_are_nacked_to_dead_letters(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    @dramatiq.actor(queue_name=queue_name, broker=broker, max_retries=0)
    def broken() -> None:
        raise RuntimeError("bad data")

    broken.send()
    start_worker()
    wait_until(lambda: dead_count(broker, queue_name) == 1)
    assert total_count(broker, queue_name) == 0


def test_graceful_shutdown_requeues_messages_not_yet_run(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    runs: list[int] = []
    started = threading.Event()

    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def slow(n: int) -> None:
        started.set()
        time.sleep(0.3)
        runs.append(n)

    for n in range(6):
        slow.send(n)
    worker = start_worker(worker_threads=1)
    assert started.wait(15)
    worker.stop()
    assert len(runs) < 6, "the worker stopped before running everything"
    start_worker(worker_threads=2)
    wait_until(lambda: set(runs) == set(range(6)), timeout=30)


def test_delayed_message_runs_after_its_delay(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    ran_at: list[float] = []

    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def later() -> None:
        ran_at.append(time.monotonic())

    start_worker()
    sent_at = time.monotonic()
    later.send_with_options(delay=600)
    wait_until(lambda: bool(ran_at))
    assert ran_at[0] - sent_at >= 0.59


def test_time_limit_stops_a_job_and_dead_letters_it(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    finished = threading.Event()

    @dramatiq.actor(queue_name=queue_name, broker=broker, time_limit=200, max_retries=0)
    def stuck() -> None:
        for _ in range(100):
            time.sleep(0.05)
        finished.set()

    stuck.send()
    broker.emit_after("process_boot")  # starts TimeLimit's timer thread, as the dramatiq CLI does
    start_worker()
    wait_until(lambda: dead_count(broker, queue_name) == 1)
    assert not finished.is_set()


def test_pipeline_passes_each_result_on_and_stores_the_last(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def add(a: int, b: int) -> int:
        return a + b

    @dramatiq.actor(queue_name=queue_name, broker=broker, store_results=True)
    def double(x: int) -> int:
        return 2 * x

    start_worker()
    pipe = pipeline([add.message(2, 3), double.message()], broker=broker).run()
    assert pipe.get_result(block=True, timeout=15_000) == 10


def test_group_completion_callback_runs_once_after_every_member(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    members: list[int] = []
    callbacks: list[int] = []

    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def member(n: int) -> None:
        members.append(n)

    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def finished(count: int) -> None:
        callbacks.append(len(members))

    start_worker(worker_threads=4)
    chunk = group([member.message(n) for n in range(8)], broker=broker)
    chunk.add_completion_callback(finished.message(8))
    chunk.run()
    wait_until(lambda: bool(callbacks))
    time.sleep(0.2)
    assert callbacks == [8]


def test_concurrency_limit_is_shared_by_worker_threads(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    limiter = ConcurrentRateLimiter(rate_limiter_backend(broker), f"{queue_name}-limit", limit=1)
    active: list[int] = []
    peak: list[int] = []
    done: list[int] = []

    @dramatiq.actor(queue_name=queue_name, broker=broker, max_retries=0)
    def exclusive(n: int) -> None:
        with limiter.acquire(raise_on_failure=False) as acquired:
            if acquired:
                active.append(n)
                peak.append(len(active))
                time.sleep(0.02)
                active.remove(n)
            done.append(n)

    for n in range(8):
        exclusive.send(n)
    start_worker(worker_threads=4)
    wait_until(lambda: len(done) == 8)
    assert peak
    assert max(peak) == 1


def test_flush_drops_waiting_messages_and_join_returns_on_an_empty_queue(
    broker: dramatiq.Broker, queue_name: str
) -> None:
    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def never() -> None:
        pytest.fail("flushed messages must not run")

    for _ in range(5):
        never.send()
    assert total_count(broker, queue_name) == 5
    for name in broker.get_declared_queues():
        if name.startswith(queue_name):
            broker.flush(name)
    assert total_count(broker, queue_name) == 0
    broker.join(queue_name, timeout=5_000)
