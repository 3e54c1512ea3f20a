"""Enqueues on the SQL broker: concurrent sends committed together (group commit), each returning only
once stored, errors reaching every sender of a failed write, and ``enqueue_many`` (SQLite, PostgreSQL,
MariaDB)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dramatiq import Message, Middleware
from dramatiq.errors import ConnectionClosed
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from marketjobs.brokers.hooks import BrokerHooks
from marketjobs.brokers.sql import SQLBroker, SQLBrokerBase
from marketjobs.brokers.sql_insert import MessageWriter, NewMessage
from marketjobs.errors import MessageTooLargeError
from marketjobs.store.engine import create_store_engine
from marketjobs.store.models import BrokerMessage

QUEUE = "enqueuetest"


def message(n: int, queue: str = QUEUE, **options: Any) -> Message[Any]:
    return Message(queue_name=queue, actor_name="work", args=(n,), kwargs={}, options=options)


class Hooks(BrokerHooks):
    """Records the enqueue hooks each message id went through; refuses the ids in ``refuse``."""

    def __init__(self, refuse: frozenset[int] = frozenset()) -> None:
        self.refuse = refuse
        self.calls: list[tuple[str, int]] = []

    def before_enqueue(self, broker: Any, message: Any, delay: int | None) -> None:
        self.calls.append(("before", message.args[0]))
        if message.args[0] in self.refuse:
            raise MessageTooLargeError(f"message {message.args[0]} refused")

    def after_enqueue(self, broker: Any, message: Any, delay: int | None) -> None:
        self.calls.append(("after", message.args[0]))

    def after_enqueue_failed(self, broker: Any, message: Any) -> None:
        self.calls.append(("failed", message.args[0]))


def stored_rows(url: str) -> list[tuple[str, int, int]]:
    """(message id, priority, delay) of every stored message in id order, read on a connection of its own."""
    engine = create_store_engine(url, shared=False)
    table = BrokerMessage.__table__.c
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(table.message_id, table.priority, table.eta - table.enqueued_at).order_by(table.id)
            ).all()
    finally:
        engine.dispose()
    return [(str(m), int(p), int(d)) for m, p, d in rows]


@pytest.fixture
def make_broker(sql_url: str) -> Iterator[Callable[..., SQLBrokerBase]]:
    """Builds SQL brokers on the test's database (closed after the test)."""
    made: list[SQLBrokerBase] = []

    def make(cls: type[SQLBrokerBase] = SQLBrokerBase, middleware: list[Middleware] | None = None) -> Any:
        broker = cls(sql_url, middleware=middleware or [])
        broker.declare_queue(QUEUE)
        made.append(broker)
        return broker

    yield make
    for broker in made:
        broker.close()


@pytest.fixture
def held_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[threading.Event]]:
    """Each event appended makes one upcoming write of any MessageWriter wait until it is set."""
    gates: list[threading.Event] = []
    original = MessageWriter.write

    def write(self: MessageWriter, rows: Any) -> None:
        gate = gates.pop(0) if gates else None
        if gate is not None:
            gate.wait(10)
        original(self, rows)

    monkeypatch.setattr(MessageWriter, "write", write)
    yield gates
    for gate in gates:
        gate.set()


def wait_for(predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not predicate():
        assert time.monotonic() < deadline, "the condition was never reached"
        time.sleep(0.001)


def run_threads(targets: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=target) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)


def test_concurrent_sends_are_stored_exactly_once_and_readable_elsewhere_when_send_returns(
    make_broker: Callable[..., SQLBrokerBase], sql_url: str
) -> None:
    broker = make_broker()
    reader = create_store_engine(sql_url, shared=False)
    ids = BrokerMessage.__table__.c.message_id
    missing: list[str] = []
    errors: list[BaseException] = []

    def sender(thread: int) -> Callable[[], None]:
        def send() -> None:
            try:
                for n in range(40):
                    sent = broker.enqueue(message(thread * 1000 + n))
                    with reader.connect() as connection:  # another connection sees it at once
                        if connection.execute(select(ids).where(ids == sent.message_id)).first() is None:
                            missing.append(sent.message_id)
            except BaseException as exc:
                errors.append(exc)

        return send

    run_threads([sender(t) for t in range(8)])
    reader.dispose()
    assert errors == []
    assert missing == [], "a send returned before its message was committed"
    rows = stored_rows(sql_url)
    assert len(rows) == len({m for m, _, _ in rows}) == 320
    assert broker.queue_depth(QUEUE).ready == 320


def test_sends_made_during_a_write_are_committed_together(
    make_broker: Callable[..., SQLBrokerBase], held_writes: list[threading.Event], sql_url: str
) -> None:
    broker = make_broker()
    gate = threading.Event()
    held_writes.append(gate)
    leader = threading.Thread(target=broker.enqueue, args=(message(0),))
    leader.start()
    wait_for(lambda: not held_writes)  # the leader is in its write
    followers = [threading.Thread(target=broker.enqueue, args=(message(n),)) for n in range(1, 6)]
    for thread in followers:
        thread.start()
    wait_for(lambda: broker._group_commit.waiting == 5)
    gate.set()
    for thread in [leader, *followers]:
        thread.join(10)
    assert len(stored_rows(sql_url)) == 6
    assert broker._group_commit.writes == 2


def test_a_failed_grouped_write_raises_connection_closed_in_every_sender_of_it(
    make_broker: Callable[..., SQLBrokerBase], monkeypatch: pytest.MonkeyPatch, sql_url: str
) -> None:
    gate = threading.Event()
    original = MessageWriter.write
    writes: list[int] = []

    def write(self: MessageWriter, rows: list[NewMessage]) -> None:
        writes.append(len(rows))
        if len(writes) == 1:  # the leader's write lets the followers gather, then succeeds
            gate.wait(10)
            original(self, rows)
            return
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(MessageWriter, "write", write)
    broker = make_broker()  # after the patch: its group commit holds the write it was made with
    results: dict[int, BaseException | None] = {}

    def send(n: int) -> Callable[[], None]:
        def run() -> None:
            try:
                broker.enqueue(message(n))
                results[n] = None
            except BaseException as exc:
                results[n] = exc

        return run

    leader = threading.Thread(target=send(0))
    leader.start()
    wait_for(lambda: len(writes) == 1)
    followers = [threading.Thread(target=send(n)) for n in range(1, 4)]
    for thread in followers:
        thread.start()
    wait_for(lambda: broker._group_commit.waiting == 3)
    gate.set()
    for thread in [leader, *followers]:
        thread.join(10)
    assert writes == [1, 3], "the three followers shared one write"
    assert results[0] is None
    assert all(isinstance(results[n], ConnectionClosed) for n in (1, 2, 3)), results
    assert len(stored_rows(sql_url)) == 1


def test_a_bad_message_fails_only_its_own_send_in_a_grouped_write(
    make_broker: Callable[..., SQLBrokerBase], held_writes: list[threading.Event], sql_url: str
) -> None:
    broker = make_broker()
    if broker.table.dialect == "sqlite":
        pytest.skip("SQLite stores a queue name of any length")
    gate = threading.Event()
    held_writes.append(gate)
    leader = threading.Thread(target=broker.enqueue, args=(message(0),))
    leader.start()
    wait_for(lambda: not held_writes)
    results: dict[int, BaseException | None] = {}

    def send(n: int, queue: str) -> Callable[[], None]:
        def run() -> None:
            try:
                broker.enqueue(message(n, queue))
                results[n] = None
            except BaseException as exc:
                results[n] = exc

        return run

    threads = [threading.Thread(target=send(n, "q" * 300 if n == 2 else QUEUE)) for n in range(1, 4)]
    for thread in threads:
        thread.start()
    wait_for(lambda: broker._group_commit.waiting == 3)
    gate.set()
    for thread in [leader, *threads]:
        thread.join(10)
    assert results[1] is None
    assert results[3] is None
    assert results[2] is not None
    assert not isinstance(results[2], ConnectionClosed), "a bad value is not a lost connection"
    assert len(stored_rows(sql_url)) == 3


def test_enqueue_many_stores_all_in_order_in_one_write_with_hooks_per_message(
    make_broker: Callable[..., SQLBrokerBase], sql_url: str
) -> None:
    hooks = Hooks()
    broker = make_broker(middleware=[hooks])
    messages = [message(n) for n in range(1_200)]  # more than one statement's rows
    sent = broker.enqueue_many(messages)
    assert [m.message_id for m in sent] == [m.message_id for m in messages]
    assert [m for m, _, _ in stored_rows(sql_url)] == [m.message_id for m in messages]
    assert broker._group_commit.writes == 1
    assert hooks.calls == [("before", n) for n in range(1_200)] + [("after", n) for n in range(1_200)]
    assert broker.queue_depth(QUEUE).ready == 1_200


def test_enqueue_many_delays_every_message_and_shows_hooks_the_eta(
    make_broker: Callable[..., SQLBrokerBase], sql_url: str
) -> None:
    broker = make_broker()
    before = int(time.time() * 1000)
    sent = broker.enqueue_many([message(n) for n in range(3)], delay=60_000)
    assert all(m.options["eta"] >= before + 60_000 for m in sent)
    assert [d for _, _, d in stored_rows(sql_url)] == [60_000] * 3
    assert broker.queue_depth(QUEUE).delayed == 3


def test_enqueue_many_stores_nothing_when_a_hook_refuses_one_message(
    make_broker: Callable[..., SQLBrokerBase], sql_url: str
) -> None:
    hooks = Hooks(refuse=frozenset({2}))
    broker = make_broker(SQLBroker, middleware=[hooks])
    with pytest.raises(MessageTooLargeError, match="message 2 refused"):
        broker.enqueue_many([message(n) for n in range(4)])
    assert stored_rows(sql_url) == []
    assert [c for c in hooks.calls if c[0] == "before"] == [("before", 0), ("before", 1), ("before", 2)]
    assert [c for c in hooks.calls if c[0] == "failed"] == [("failed", n) for n in range(4)]


def test_enqueue_many_on_the_marketjobs_broker_resolves_each_priority(
    make_broker: Callable[..., SQLBrokerBase], sql_url: str
) -> None:
    broker = make_broker(SQLBroker)
    broker.enqueue_many([message(0, priority="low"), message(1), message(2, priority="critical")])
    assert [p for _, p, _ in stored_rows(sql_url)] == [3, 2, 0]
    assert broker.enqueue_many([]) == []
