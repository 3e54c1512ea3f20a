"""Record writes from several processes never let an older event overwrite a newer one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from marketjobs.clock import from_ms
from marketjobs.store.models import JobRecord
from marketjobs.store.upsert import insert_missing, upsert_newer

#: 2026-11-25 12:00:00.123 UTC in epoch milliseconds.
NOW_MS = 1_795_608_000_123


def row(job_id: str, status: str, seq: int, **extra: Any) -> dict[str, Any]:
    now = NOW_MS
    base = {
        "id": job_id,
        "job_type": "analysis",
        "queue": "default",
        "priority": "normal",
        "status": status,
        "seq": seq,
        "attempts": seq // 4,
        "progress": 0.0,
        "cancel_requested": False,
        "created_at": now,
        "updated_at": now,
    }
    return {**base, **extra}


def stored(engine: Engine, job_id: str) -> JobRecord:
    with engine.connect() as connection:
        return connection.execute(select(JobRecord.__table__).where(JobRecord.id == job_id)).one()  # type: ignore[return-value]


def test_older_event_does_not_overwrite_a_newer_one(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_newer(connection, [row("a", "completed", 7, progress=100.0)])
        upsert_newer(connection, [row("a", "running", 5, progress=10.0)])
    record = stored(engine, "a")
    assert (record.status, record.progress) == ("completed", 100.0)


def test_newer_event_overwrites_and_equal_seq_progress_updates(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_newer(connection, [row("b", "running", 5, progress=0.0)])
        upsert_newer(connection, [row("b", "running", 5, progress=55.0)])
    assert stored(engine, "b").progress == 55.0
    with engine.begin() as connection:
        upsert_newer(connection, [row("b", "completed", 7, progress=100.0)])
    assert stored(engine, "b").status == "completed"


def test_pending_insert_never_overwrites_an_existing_row(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_newer(connection, [row("c", "running", 5)])
        insert_missing(connection, [row("c", "pending", 0), row("d", "pending", 0)])
    assert stored(engine, "c").status == "running"
    assert stored(engine, "d").status == "pending"


def test_cancel_flag_survives_later_events(engine: Engine) -> None:
    with engine.begin() as connection:
        insert_missing(connection, [row("e", "pending", 0)])
        connection.execute(
            JobRecord.__table__.update().where(JobRecord.id == "e").values(cancel_requested=True)
        )
        upsert_newer(connection, [row("e", "running", 5)])
    assert stored(engine, "e").cancel_requested


def test_timestamps_round_trip_as_epoch_milliseconds(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_newer(connection, [row("f", "running", 5, eta=NOW_MS + 1)])
    with engine.connect() as connection:
        created, eta = connection.execute(
            select(JobRecord.created_at, JobRecord.eta).where(JobRecord.id == "f")
        ).one()
    assert (created, eta) == (NOW_MS, NOW_MS + 1)
    assert from_ms(created) == datetime(2026, 11, 25, 12, 0, 0, 123000, tzinfo=UTC)
