"""Payloads end to end: encrypted brokers run jobs, tampered messages die with their reason, big ones are
refused at send."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import pytest
from sqlalchemy import select, update

from marketjobs.brokers.encryption import MAGIC, PayloadEncoder
from marketjobs.config import configure
from marketjobs.errors import DuplicateJobError, MessageTooLargeError
from marketjobs.jobs import get_job, retry_dead_letter
from marketjobs.jobs.broker import broker_from_url
from marketjobs.store.engine import create_store_engine
from marketjobs.store.models import BrokerMessage, JobRecord
from tests.conftest import broker_url_for, fast_settings, records_of, wait_until

KEY_OLD = {"id": "2025", "key": base64.b64encode(os.urandom(32)).decode()}
KEY_NEW = {"id": "2026", "key": base64.b64encode(os.urandom(32)).decode()}

MakeBroker = Callable[..., dramatiq.Broker]


@pytest.fixture
def make_broker(sqlite_url: str) -> Iterator[MakeBroker]:
    """Builds brokers of a kind with settings overrides; closes them, stops their workers, and puts the
    process' encoder back after the test."""
    encoder = dramatiq.get_encoder()
    made: list[tuple[dramatiq.Broker, list[dramatiq.Worker]]] = []

    def make(kind: str, **overrides: Any) -> dramatiq.Broker:
        url = broker_url_for(kind, sqlite_url)
        settings = fast_settings(sqlite_url, url, **overrides)
        configure(settings)
        broker = broker_from_url(url, settings=settings)
        broker.workers = []  # type: ignore[attr-defined]
        made.append((broker, broker.workers))  # type: ignore[attr-defined]
        return broker

    yield make
    for broker, workers in made:
        for worker in workers:
            worker.stop()
        try:
            broker.flush_all()
        finally:
            broker.close()
    configure(None)
    dramatiq.set_encoder(encoder)


def start_worker(broker: dramatiq.Broker) -> dramatiq.Worker:
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=2)
    worker.start()
    broker.workers.append(worker)  # type: ignore[attr-defined]
    return worker


def record(broker: dramatiq.Broker, job_id: str) -> JobRecord:
    records = records_of(broker)
    records.flush()
    return get_job(create_store_engine(records.settings.database_url), job_id)


def wait_for_status(broker: dramatiq.Broker, job_id: str, status: str) -> JobRecord:
    def reached() -> bool:
        try:
            return record(broker, job_id).status == status
        except Exception:
            return False

    wait_until(reached, 20)
    return record(broker, job_id)


def replace_payload(
    broker: dramatiq.Broker, sent: dramatiq.Message[Any], change: Callable[[bytes], bytes]
) -> None:
    """Rewrites the stored payload of ``sent`` in the broker, as someone with access to it could."""
    client: Any = getattr(broker, "client", None)
    if client is not None:  # Redis: the message body lives in the queue's hash under its Redis id
        key, redis_id = f"{broker.namespace}:{sent.queue_name}.msgs", sent.options["redis_message_id"]  # type: ignore[attr-defined]
        client.hset(key, redis_id, change(client.hget(key, redis_id)))
        return
    engine = broker.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        where = BrokerMessage.message_id == sent.message_id
        payload = connection.execute(select(BrokerMessage.payload).where(where)).scalar_one()
        connection.execute(update(BrokerMessage).where(where).values(payload=change(bytes(payload))))


def flip_last_byte(payload: bytes) -> bytes:
    assert payload.startswith(MAGIC)
    return payload[:-1] + bytes([payload[-1] ^ 0x01])


@pytest.mark.parametrize("kind", ["sqlite", "stub"])
def test_a_worker_on_an_encrypted_broker_runs_jobs_retries_and_dead_letter_retries(
    make_broker: MakeBroker, queue_name: str, kind: str
) -> None:
    broker = make_broker(kind, encryption_keys=[KEY_NEW], compress_above_bytes=200)
    runs: list[Any] = []

    @dramatiq.actor(queue_name=queue_name, broker=broker, max_retries=0)
    def analyse(symbol: str, window: list[int], *, fail: bool = False) -> int:
        runs.append(symbol)
        if fail:
            raise RuntimeError("provider down")
        return len(window)

    done = analyse.send("AAPL", list(range(500)))  # compressed, then encrypted
    failed = analyse.send("MSFT", [1], fail=True)
    if kind == "sqlite":
        where = BrokerMessage.message_id == done.message_id
        with broker.engine.connect() as connection:  # type: ignore[attr-defined]
            payload = bytes(connection.execute(select(BrokerMessage.payload).where(where)).scalar_one())
        assert payload.startswith(MAGIC)
        assert b"AAPL" not in payload
    start_worker(broker)
    completed = wait_for_status(broker, done.message_id, "completed")
    assert completed.result == 500
    assert completed.parameters == {"args": ["AAPL", list(range(500))], "kwargs": {}}  # readable records
    dead = wait_for_status(broker, failed.message_id, "dead")
    assert dead.error == "RuntimeError: provider down"
    retried = retry_dead_letter(
        create_store_engine(records_of(broker).settings.database_url), broker, dead.id
    )
    assert wait_for_status(broker, retried, "dead").parameters == {
        "args": ["MSFT", [1]],
        "kwargs": {"fail": True},
    }
    assert runs.count("MSFT") == 2


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_a_tampered_message_goes_to_dead_letters_with_its_reason_and_the_worker_goes_on(
    make_broker: MakeBroker, queue_name: str, kind: str
) -> None:
    broker = make_broker(kind, encryption_keys=[KEY_NEW])
    runs: list[str] = []

    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def trade(symbol: str) -> None:
        runs.append(symbol)

    tampered = trade.send("AAPL")
    replace_payload(broker, tampered, flip_last_byte)
    start_worker(broker)
    dead = wait_for_status(broker, tampered.message_id, "dead")
    assert dead.error is not None
    assert dead.error.startswith("UndecodableMessageError: message ")
    assert "failed authentication with key '2026'" in dead.error
    assert dead.parameters == {"args": ["AAPL"], "kwargs": {}}  # as sent: retryable once the key is fixed
    assert dead.attempts == 1
    assert runs == []
    wait_until(lambda: broker.queue_depth(queue_name).dead == 1)  # type: ignore[attr-defined]
    fine = trade.send("MSFT")
    wait_for_status(broker, fine.message_id, "completed")
    assert runs == ["MSFT"]


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_old_keys_still_decrypt_after_rotation_and_a_dropped_key_is_named_in_the_dead_letter(
    make_broker: MakeBroker, queue_name: str, kind: str
) -> None:
    ran: list[str] = []

    def declare(broker: dramatiq.Broker) -> dramatiq.Actor[Any, Any]:
        return dramatiq.actor(queue_name=queue_name, broker=broker, actor_name="rotate")(ran.append)

    old = declare(make_broker(kind, encryption_keys=[KEY_OLD])).send("sealed-with-2025")
    rotated = make_broker(kind, encryption_keys=[KEY_NEW, KEY_OLD])
    rotate = declare(rotated)
    new = rotate.send("sealed-with-2026")
    only_new = PayloadEncoder([(KEY_NEW["id"], base64.b64decode(KEY_NEW["key"]))])
    assert only_new.decode(new.encode())["args"] == ["sealed-with-2026"]  # the newest key encrypted it
    worker = start_worker(rotated)
    wait_for_status(rotated, old.message_id, "completed")
    wait_for_status(rotated, new.message_id, "completed")
    assert sorted(ran) == ["sealed-with-2025", "sealed-with-2026"]
    worker.stop()
    # A worker that dropped the old key too early dead-letters what it sealed, naming the key to add back.
    dramatiq.set_encoder(PayloadEncoder([(KEY_OLD["id"], base64.b64decode(KEY_OLD["key"]))]))
    orphan = rotate.send("sealed-with-2025-again")
    dropped = make_broker(kind, encryption_keys=[KEY_NEW])
    declare(dropped)
    start_worker(dropped)
    dead = wait_for_status(dropped, orphan.message_id, "dead")
    assert "encrypted with key '2025', which this process does not have" in (dead.error or "")
    assert "sealed-with-2025-again" not in ran


def test_garbage_in_a_redis_queue_is_dead_lettered_without_stopping_the_worker(
    make_broker: MakeBroker, queue_name: str
) -> None:
    broker = make_broker("redis", encryption_keys=[KEY_NEW])
    runs: list[str] = []

    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def trade(symbol: str) -> None:
        runs.append(symbol)

    garbage = trade.send("AAPL")
    replace_payload(broker, garbage, lambda _: b"\xff not a message")
    start_worker(broker)
    wait_until(lambda: broker.queue_depth(queue_name).dead == 1)  # type: ignore[attr-defined]
    fine = trade.send("MSFT")
    wait_for_status(broker, fine.message_id, "completed")
    assert runs == ["MSFT"]


@pytest.mark.parametrize("kind", ["stub", "sqlite"])
def test_a_message_over_max_message_bytes_is_refused_at_send_naming_the_setting(
    make_broker: MakeBroker, queue_name: str, kind: str
) -> None:
    broker = make_broker(kind, encryption_keys=[KEY_NEW], max_message_bytes=4096)

    @dramatiq.actor(queue_name=queue_name, broker=broker)
    def load(rows: list[str]) -> None: ...

    with pytest.raises(MessageTooLargeError, match=r"over max_message_bytes \(4096\)") as refused:
        load.send_with_options(args=(["x" * 100] * 100,), idempotency_key="load:big")
    assert "MARKETJOBS_MAX_MESSAGE_BYTES" in str(refused.value)
    assert broker.queue_depth(queue_name).ready == 0  # type: ignore[attr-defined]
    # Nothing was claimed for the refused message: the same key and a small payload go through.
    small = load.send_with_options(args=(["x"],), idempotency_key="load:big")
    assert record(broker, small.message_id).status == "pending"
    with pytest.raises(DuplicateJobError):
        load.send_with_options(args=(["y"],), idempotency_key="load:big")


def test_a_plain_message_reaching_an_encrypted_worker_is_dead_with_the_fix(
    make_broker: MakeBroker, queue_name: str
) -> None:
    plain = make_broker("sqlite")
    actor = dramatiq.actor(queue_name=queue_name, broker=plain, actor_name="plain_job")(lambda: None)
    sent = actor.send()
    encrypted = make_broker("sqlite", encryption_keys=[KEY_NEW])
    dramatiq.actor(queue_name=queue_name, broker=encrypted, actor_name="plain_job")(lambda: None)
    start_worker(encrypted)
    dead = wait_for_status(encrypted, sent.message_id, "dead")
    assert "is not encrypted" in (dead.error or "")
    assert "MARKETJOBS_ENCRYPTION_KEYS" in (dead.error or "")
