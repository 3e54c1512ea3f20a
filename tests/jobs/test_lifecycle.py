"""The same job-lifecycle tests against every broker: stub, Redis and RabbitMQ."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import dramatiq
import pytest

from marketjobs.errors import DuplicateJobError, NonRetryableError
from marketjobs.jobs import (
    current_job,
    get_job,
    list_dead_letters,
    purge_dead_letters,
    request_cancel,
    retry_dead_letter,
)
from marketjobs.store.engine import create_store_engine
from marketjobs.store.models import JobRecord
from tests.conftest import records_of, wait_until

StartWorker = Callable[..., dramatiq.Worker]


def record(broker: dramatiq.Broker, job_id: str) -> JobRecord:
    records = records_of(broker)
    records.flush()
    return get_job(create_store_engine(records.settings.database_url), job_id)


def wait_for_status(broker: dramatiq.Broker, job_id: str, *statuses: str, timeout: float = 20) -> JobRecord:
    def reached() -> bool:
        try:
            return record(broker, job_id).status in statuses
        except Exception:
            return False

    wait_until(reached, timeout)
    return record(broker, job_id)


def test_successful_job_is_recorded_completed_with_its_result(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def add(a: int, b: int) -> dict[str, int]:
        return {"sum": a + b}

    message = add.send(2, 3)
    pending = record(broker, message.message_id)
    assert pending.status == "pending"
    assert pending.parameters == {"args": [2, 3], "kwargs": {}}
    start_worker()
    done = wait_for_status(broker, message.message_id, "completed")
    assert done.result == {"sum": 5}
    assert done.attempts == 1
    assert done.progress == 100.0
    assert done.hostname
    assert done.pid
    assert done.worker_id
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.created_at <= done.started_at <= done.finished_at
    assert done.queue == queue_name
    assert done.job_type == "add"


def test_failing_job_is_retried_with_backoff_then_dead_lettered(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    calls: list[float] = []

    @dramatiq.actor(queue_name=queue_name, broker=broker, max_retries=2)
    def flaky() -> None:
        calls.append(time.monotonic())
        raise RuntimeError("upstream timed out")

    start_worker()
    message = flaky.send()
    dead = wait_for_status(broker, message.message_id, "dead")
    assert len(calls) == 3
    assert dead.attempts == 3
    assert dead.max_attempts == 3
    assert dead.error == "RuntimeError: upstream timed out"
    assert dead.traceback is not None
    assert "upstream timed out" in dead.traceback
    engine = create_store_engine(records_of(broker).settings.database_url)
    assert [r.id for r in list_dead_letters(engine)] == [message.message_id]


def test_non_retryable_error_goes_straight_to_dead_letters(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    calls = []

    @dramatiq.actor(queue_name=queue_name, broker=broker, max_retries=5)
    def validate(symbol: str) -> None:
        calls.append(symbol)
        raise NonRetryableError(f"unknown symbol {symbol}; import its bars first")

    start_worker()
    message = validate.send("ZZZZ")
    dead = wait_for_status(broker, message.message_id, "dead")
    assert calls == ["ZZZZ"]
    assert dead.attempts == 1
    assert dead.error is not None
    assert "unknown symbol ZZZZ" in dead.error


def test_cancelled_pending_job_is_skipped_without_running(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    ran = []

    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def work() -> None:
        ran.append(1)

    message = work.send()
    record(broker, message.message_id)
    engine = create_store_engine(records_of(broker).settings.database_url)
    assert request_cancel(engine, message.message_id) == "pending"
    start_worker()
    cancelled = wait_for_status(broker, message.message_id, "cancelled")
    assert ran == []
    assert cancelled.finished_at is not None


def test_running_job_sees_cancel_and_stops_between_chunks(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    chunks_done = []

    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def long_job() -> None:
        job = current_job()
        for chunk in range(200):
            if job.cancelled:
                return
            time.sleep(0.05)
            chunks_done.append(chunk)
            job.progress(chunk / 2, f"chunk {chunk}")

    start_worker()
    message = long_job.send()
    wait_until(lambda: len(chunks_done) >= 3)
    engine = create_store_engine(records_of(broker).settings.database_url)
    request_cancel(engine, message.message_id)
    cancelled = wait_for_status(broker, message.message_id, "cancelled")
    assert 3 <= len(chunks_done) < 200
    assert 0 < cancelled.progress < 100


def test_progress_is_recorded_while_the_job_runs(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    release = threading.Event()

    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def stepwise() -> None:
        current_job().progress(40, "halfway there")
        release.wait(10)

    start_worker()
    message = stepwise.send()
    try:
        wait_until(lambda: record(broker, message.message_id).progress == 40)
        running = record(broker, message.message_id)
        assert running.status == "running"
        assert running.progress_message == "halfway there"
    finally:
        release.set()
    assert wait_for_status(broker, message.message_id, "completed").progress == 100


def test_same_idempotency_key_is_refused_while_the_first_job_is_in_flight(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def refresh(symbol: str) -> str:
        return symbol

    key = f"refresh:AAPL:{queue_name}"
    first = refresh.send_with_options(args=("AAPL",), idempotency_key=key)
    with pytest.raises(DuplicateJobError, match=first.message_id):
        refresh.send_with_options(args=("AAPL",), idempotency_key=key)
    start_worker()
    wait_for_status(broker, first.message_id, "completed")
    again = refresh.send_with_options(args=("AAPL",), idempotency_key=key)
    assert wait_for_status(broker, again.message_id, "completed").idempotency_key == key


def test_higher_priority_job_does_not_wait_behind_a_backlog(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    order: list[str] = []

    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def step(name: str) -> None:
        time.sleep(0.02)
        order.append(name)

    for i in range(30):
        step.send_with_options(args=(f"low{i}",), priority="low")
    step.send_with_options(args=("urgent",), priority="critical")
    start_worker(worker_threads=1)
    wait_until(lambda: len(order) == 31, timeout=30)
    assert order.index("urgent") <= 4, order


def test_dead_letter_retry_runs_again_linked_to_the_original(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    attempts: list[int] = []

    @dramatiq.actor(queue_name=queue_name, broker=broker, max_retries=0)
    def fetch(symbol: str) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("provider down")
        return symbol

    start_worker()
    original = fetch.send("MSFT")
    wait_for_status(broker, original.message_id, "dead")
    engine = create_store_engine(records_of(broker).settings.database_url)
    new_id = retry_dead_letter(engine, broker, original.message_id)
    retried = wait_for_status(broker, new_id, "completed")
    assert retried.retry_of == original.message_id
    assert retried.parameters == {"args": ["MSFT"], "kwargs": {}}
    assert record(broker, original.message_id).retried_as == new_id
    assert purge_dead_letters(engine) == 1
    assert list_dead_letters(engine) == []


def test_delayed_job_is_pending_with_its_eta_then_runs(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def later() -> None:
        pass

    start_worker()
    message: Any = later.send_with_options(delay=300)
    pending = record(broker, message.message_id)
    assert pending.status in ("pending", "completed")
    if pending.status == "pending":
        assert pending.eta is not None
        assert pending.eta > pending.created_at
    assert wait_for_status(broker, message.message_id, "completed").status == "completed"


def test_non_retryable_error_on_a_later_attempt_is_dead_with_that_attempt(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    calls: list[int] = []

    @dramatiq.actor(queue_name=queue_name, broker=broker, max_retries=5)
    def degrade() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("timeout")
        raise NonRetryableError("symbol delisted")

    start_worker()
    message = degrade.send()
    dead = wait_for_status(broker, message.message_id, "dead")
    assert len(calls) == 2
    assert dead.attempts == 2
    assert dead.error is not None
    assert "delisted" in dead.error


def test_retrying_job_records_when_it_will_run_again(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    calls: list[int] = []

    @dramatiq.actor(queue_name=queue_name, broker=broker, max_retries=1, min_backoff=1500, max_backoff=1500)
    def once_flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("rate limited")

    start_worker()
    message = once_flaky.send()
    retrying = wait_for_status(broker, message.message_id, "retrying")
    assert retrying.eta is not None
    assert retrying.eta > retrying.updated_at
    assert retrying.error == "RuntimeError: rate limited"
    assert wait_for_status(broker, message.message_id, "completed").attempts == 2


def test_idempotency_key_of_a_purged_dead_letter_can_be_used_again(
    broker: dramatiq.Broker, start_worker: StartWorker, queue_name: str
) -> None:
    @dramatiq.actor(queue_name=queue_name, broker=broker, max_retries=0)
    def boom() -> None:
        raise RuntimeError("boom")

    first = boom.send_with_options(idempotency_key=f"k:{queue_name}")
    start_worker()
    wait_for_status(broker, first.message_id, "dead")
    engine = create_store_engine(records_of(broker).settings.database_url)
    assert purge_dead_letters(engine, ids=[first.message_id]) == 1
    again = boom.send_with_options(idempotency_key=f"k:{queue_name}")
    assert again.message_id != first.message_id


def test_the_cancel_poller_runs_while_a_worker_runs_and_stops_with_the_last_one(
    broker: dramatiq.Broker,
) -> None:
    records = records_of(broker)
    first = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    second = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    first.start()
    second.start()
    poller = records.watcher._thread
    assert poller is not None
    assert poller.is_alive()
    first.stop()
    assert poller.is_alive()  # the other worker still needs it
    second.stop()
    assert not poller.is_alive()  # no thread left polling the store
    assert records.watcher._thread is None
