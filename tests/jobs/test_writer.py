"""The batched record writer merges events and never drops rows when the store is unavailable."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError

from marketjobs.jobs.writer import RecordWriter
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import upgrade
from marketjobs.store.models import JobRecord
from tests.conftest import reset_database
from tests.servers import require_service
from tests.store.test_upsert import row, stored


def test_events_of_one_job_merge_into_one_row(engine: Engine) -> None:
    writer = RecordWriter(engine, flush_seconds=0.5)
    writer.insert(row("j", "pending", 0, progress=0.0))
    writer.upsert(row("j", "running", 5, progress=20.0, hostname="h1"))
    writer.upsert(row("j", "completed", 7, progress=100.0))
    writer.upsert(row("j", "running", 5, progress=30.0, pid=42))  # late, older event
    assert writer.flush(10)
    record = stored(engine, "j")
    assert (record.status, record.progress, record.hostname, record.pid) == ("completed", 100.0, "h1", 42)
    writer.close()


def test_many_jobs_are_written_in_batches(engine: Engine) -> None:
    writer = RecordWriter(engine, flush_seconds=0.05, max_batch=100)
    for i in range(1000):
        writer.insert(row(f"bulk{i}", "pending", 0))
    assert writer.flush(30)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(JobRecord)).scalar() == 1000
    writer.close()


def test_rows_are_kept_and_written_once_the_store_comes_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'late.db'}"
    engine = create_store_engine(url)
    writer = RecordWriter(engine, flush_seconds=0.01)
    writer.insert(row("kept", "pending", 0))
    writer.upsert(row("kept", "running", 5))
    assert not writer.flush(0.5), "the table does not exist yet, so the write cannot succeed"
    upgrade(url)
    assert writer.flush(15)
    assert stored(engine, "kept").status == "running"
    writer.close()


def test_writer_survives_its_database_connections_being_killed() -> None:
    url = require_service("postgres")
    reset_database(url)
    upgrade(url)
    engine = create_store_engine(url, shared=False)
    writer = RecordWriter(engine, flush_seconds=0.01)
    writer.insert(row("before", "pending", 0))
    assert writer.flush(10)
    admin = create_store_engine(url, shared=False)
    with admin.begin() as connection:
        killed = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    assert killed >= 1
    writer.insert(row("after", "pending", 0))
    assert writer.flush(15)
    assert stored(engine, "after").status == "pending"
    writer.close()
    admin.dispose()


def test_a_refused_row_does_not_block_the_others() -> None:
    url = require_service("postgres")
    reset_database(url)
    upgrade(url)
    engine = create_store_engine(url)
    writer = RecordWriter(engine, flush_seconds=0.01)
    writer.upsert(row("good", "running", 5))
    writer.upsert(row("bad", "x" * 40, 5))  # longer than the status column
    assert writer.flush(15)
    assert stored(engine, "good").status == "running"
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(JobRecord)).scalar() == 1
    writer.close()


def test_events_put_back_after_a_failed_write_keep_their_order(engine: Engine) -> None:
    writer = RecordWriter(engine, flush_seconds=0.01)
    real_write = writer._write
    failed = threading.Event()

    def failing_once(batch: Any, inserts: Any) -> None:
        if not failed.is_set():
            failed.set()
            time.sleep(0.2)  # let a late, older event arrive while this write fails
            raise OperationalError("INSERT", {}, Exception("connection lost"))
        real_write(batch, inserts)

    writer._write = failing_once  # type: ignore[method-assign]
    writer.upsert(row("late", "completed", 7, progress=100.0))
    assert failed.wait(5)
    writer.upsert(row("late", "running", 5, progress=50.0))
    assert writer.flush(15)
    record = stored(engine, "late")
    assert (record.status, record.progress) == ("completed", 100.0)
    writer.close()


def test_a_process_whose_store_refuses_its_last_records_still_exits(tmp_path: Path) -> None:
    """At exit the writer waits a bounded time for an unreachable store, then stops retrying."""
    import subprocess
    import sys

    script = f"""
from marketjobs.jobs.writer import RecordWriter
from marketjobs.store.engine import create_store_engine
writer = RecordWriter(create_store_engine("sqlite:///{tmp_path / "unmigrated.db"}"), flush_seconds=0.01)
writer.insert({{"id": "j1", "status": "pending"}})
"""
    # A writer that kept retrying would hold the process: the timeout turns that into a failure.
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "could not be written" in result.stderr


def test_an_ack_asking_for_its_record_shortens_the_batching_interval(engine: Engine) -> None:
    writer = RecordWriter(engine, flush_seconds=3600)  # nothing would be written within the test
    ticket = writer.insert(row("asked", "pending", 0))
    assert not writer.is_written(ticket)
    deadline = time.monotonic() + 30
    while not writer.is_written(ticket) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert writer.is_written(ticket)
    assert stored(engine, "asked").status == "pending"
    writer.close()
