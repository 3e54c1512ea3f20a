"""New messages into the SQL broker's table: statements cut by rows and bytes, one transaction per write,
the connection kept between writes and replaced when the database dropped it."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, select, text

from marketjobs.brokers import sql_insert
from marketjobs.brokers.sql_insert import (
    BYTES_PER_STATEMENT,
    ROWS_PER_STATEMENT,
    MessageWriter,
    NewMessage,
    chunks,
)
from marketjobs.brokers.sql_table import TRANSIENT_ERRORS
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import ensure_migrated
from marketjobs.store.models import BrokerMessage


def row(n: int, size: int = 10, queue: str = "q", delay: int = 0) -> NewMessage:
    return NewMessage(queue, 2, delay, f"m{n}", b"x" * size)


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [
        ([], []),
        ([10], [1]),
        ([10] * ROWS_PER_STATEMENT, [ROWS_PER_STATEMENT]),
        ([10] * (ROWS_PER_STATEMENT + 1), [ROWS_PER_STATEMENT, 1]),
        ([BYTES_PER_STATEMENT // 2] * 3, [2, 1]),
        ([BYTES_PER_STATEMENT + 1, 10], [1, 1]),  # too big for any statement: one of its own
        ([10, BYTES_PER_STATEMENT + 1], [1, 1]),
    ],
)
def test_statements_hold_at_most_their_rows_and_bytes(sizes: list[int], expected: list[int]) -> None:
    rows = [row(n, size) for n, size in enumerate(sizes)]
    cut = chunks(rows)
    assert [len(chunk) for chunk in cut] == expected
    assert [r for chunk in cut for r in chunk] == rows


@pytest.fixture
def writer(sql_url: str) -> Iterator[MessageWriter]:
    engine = create_store_engine(sql_url)
    ensure_migrated(engine)
    writer = MessageWriter(engine)
    yield writer
    writer.close()


def stored(writer: MessageWriter) -> list[tuple[str, str, int]]:
    """(message id, queue, eta - enqueued_at) of every stored row, in id order, read on a new connection."""
    engine = create_store_engine(writer.engine.url, shared=False)
    table = BrokerMessage.__table__.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.message_id, table.queue, table.eta - table.enqueued_at).order_by(table.id)
        ).all()
    engine.dispose()
    return [(str(m), str(q), int(d)) for m, q, d in rows]


@pytest.mark.parametrize("count", [1, 9, 1_200])
def test_a_write_stores_every_row_in_order_with_its_delay(writer: MessageWriter, count: int) -> None:
    rows = [row(n, queue=f"q{n % 3}", delay=n % 2 * 5_000) for n in range(count)]
    writer.write(rows)
    assert stored(writer) == [(f"m{n}", f"q{n % 3}", n % 2 * 5_000) for n in range(count)]


def test_the_connection_is_kept_between_writes(writer: MessageWriter) -> None:
    checkouts: list[object] = []

    def checkout(*args: object) -> None:
        checkouts.append(args)

    writer.write([row(0)])
    event.listen(writer.engine, "checkout", checkout)
    try:
        for n in range(1, 5):
            writer.write([row(n)])
    finally:
        event.remove(writer.engine, "checkout", checkout)
    assert checkouts == []
    assert len(stored(writer)) == 5


def _drop_other_connections(url: str) -> None:
    """Ends every other session on the test's PostgreSQL database, as a server restart would."""
    engine = create_store_engine(url, shared=False)
    with engine.connect() as connection:
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    engine.dispose()


def test_after_the_database_dropped_the_connection_one_write_fails_and_the_next_reconnects(
    writer: MessageWriter, sql_url: str
) -> None:
    if writer.dialect != "postgresql":
        pytest.skip("ends sessions with pg_terminate_backend")
    writer.write([row(1)])
    _drop_other_connections(sql_url)
    with pytest.raises(TRANSIENT_ERRORS):
        writer.write([row(2)])
    writer.write([row(3)])
    assert [m for m, _, _ in stored(writer)] == ["m1", "m3"]


def test_a_connection_idle_past_the_recheck_is_pinged_before_a_write(
    writer: MessageWriter, sql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if writer.dialect != "postgresql":
        pytest.skip("ends sessions with pg_terminate_backend")
    writer.write([row(1)])
    _drop_other_connections(sql_url)
    monkeypatch.setattr(sql_insert, "IDLE_RECHECK_SECONDS", 0.0)
    writer.write([row(2)])  # the pool's ping finds the connection dead and opens another
    assert [m for m, _, _ in stored(writer)] == ["m1", "m2"]


def test_a_child_forked_during_a_write_writes_with_a_lock_of_its_own(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'fork.db'}")
    ensure_migrated(engine)
    writer = MessageWriter(engine)
    with writer._lock:  # a write under way in the parent when it forks
        pid = os.fork()
        if pid == 0:
            done = threading.Thread(target=writer.write, args=([row(1)],), daemon=True)
            done.start()
            done.join(10)
            os._exit(1 if done.is_alive() else 0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    writer.close()
