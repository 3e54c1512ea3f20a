"""Bulk retry sends its retries together (one ``enqueue_many`` on the SQL broker) and, when sending fails,
leaves every job it did not send free to be retried again."""

from __future__ import annotations

from typing import Any

import dramatiq
import pytest
from dramatiq import Message
from dramatiq.errors import ConnectionClosed
from sqlalchemy.exc import OperationalError

from marketjobs.constants import Status
from marketjobs.errors import MessageTooLargeError
from marketjobs.jobs import bulk, get_job
from marketjobs.jobs.bulk import retry_many
from marketjobs.jobs.rows import event_row
from marketjobs.store.engine import create_store_engine
from marketjobs.store.upsert import insert_missing
from tests.conftest import records_of

pytestmark = pytest.mark.parametrize("broker", ["stub", "sqlite"], indirect=True)


def dead_jobs(broker: dramatiq.Broker, count: int) -> list[str]:
    """Ids of ``count`` dead job records of an actor declared on ``broker``."""

    @dramatiq.actor(broker=broker, queue_name="bulkretry", actor_name="bulk_retry_work")
    def work(n: int) -> None:
        """Never run here."""

    messages: list[Message[Any]] = [
        Message(queue_name="bulkretry", actor_name="bulk_retry_work", args=(), kwargs={"n": n}, options={})
        for n in range(count)
    ]
    with engine_of(broker).begin() as connection:
        insert_missing(connection, [event_row(m, Status.DEAD, 1) for m in messages])
    return [m.message_id for m in messages]


def engine_of(broker: dramatiq.Broker) -> Any:
    return create_store_engine(records_of(broker).settings.database_url)


def test_bulk_retry_sends_every_retry_and_links_each_job_to_its_retry(
    broker: dramatiq.Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = dead_jobs(broker, 3)
    retried, errors = retry_many(engine_of(broker), broker, [*ids, "no-such-job"])
    assert list(retried) == ids
    assert list(errors) == ["no-such-job"]
    records_of(broker).flush()
    for old, new in retried.items():
        assert get_job(engine_of(broker), old).retried_as == new
        assert get_job(engine_of(broker), new).retry_of == old


def test_a_bulk_retry_whose_send_fails_leaves_the_unsent_jobs_free_to_retry(
    broker: dramatiq.Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = dead_jobs(broker, 3)
    sent: list[str] = []
    original = broker.enqueue

    def enqueue(message: Any, *, delay: int | None = None) -> Any:
        if sent:  # the first retry goes out, the broker fails on the second
            raise ConnectionClosed(Exception("broker down"))  # type: ignore[no-untyped-call]
        sent.append(message.message_id)
        return original(message, delay=delay)

    def enqueue_many(messages: Any, *, delay: int | None = None) -> Any:
        raise ConnectionClosed(Exception("broker down"))  # type: ignore[no-untyped-call]

    monkeypatch.setattr(broker, "enqueue", enqueue)
    if hasattr(broker, "enqueue_many"):
        monkeypatch.setattr(broker, "enqueue_many", enqueue_many)
    with pytest.raises(ConnectionClosed):
        retry_many(engine_of(broker), broker, ids)
    retried_as = [get_job(engine_of(broker), job_id).retried_as for job_id in ids]
    if hasattr(broker, "enqueue_many"):  # one transaction: nothing was sent
        assert retried_as == [None, None, None]
    else:  # one send each: the first went out and stays linked
        assert retried_as == [sent[0], None, None]


def test_a_job_the_broker_refuses_fails_alone_and_the_others_are_retried(
    broker: dramatiq.Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = dead_jobs(broker, 3)
    refused_n = 1  # the broker refuses the retry of job n=1 (say, a message over max_message_bytes)
    original_enqueue = broker.enqueue

    def refuse(messages: list[Any]) -> None:
        if any(m.kwargs.get("n") == refused_n for m in messages):
            raise MessageTooLargeError("message too large: raise max_message_bytes")

    def enqueue(message: Any, *, delay: int | None = None) -> Any:
        refuse([message])
        return original_enqueue(message, delay=delay)

    monkeypatch.setattr(broker, "enqueue", enqueue)
    if hasattr(broker, "enqueue_many"):
        original_many = broker.enqueue_many

        def enqueue_many(messages: Any, *, delay: int | None = None) -> Any:
            refuse(list(messages))
            return original_many(messages, delay=delay)

        monkeypatch.setattr(broker, "enqueue_many", enqueue_many)
    retried, errors = retry_many(engine_of(broker), broker, ids)
    assert list(retried) == [ids[0], ids[2]]
    assert list(errors) == [ids[1]]
    assert "max_message_bytes" in errors[ids[1]]
    assert get_job(engine_of(broker), ids[1]).retried_as is None  # free to retry once fixed


def test_a_store_failing_while_claiming_gives_back_the_claims_made(
    broker: dramatiq.Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = dead_jobs(broker, 3)
    claims = 0
    original = bulk.claim_retry

    def claim_then_fail(engine: Any, job_id: str) -> Message[Any]:
        nonlocal claims
        claims += 1
        if claims == 3:
            raise OperationalError("UPDATE job_records", {}, Exception("database is locked"))
        return original(engine, job_id)

    monkeypatch.setattr(bulk, "claim_retry", claim_then_fail)
    with pytest.raises(OperationalError):
        retry_many(engine_of(broker), broker, ids)
    assert [get_job(engine_of(broker), job_id).retried_as for job_id in ids] == [None, None, None]
