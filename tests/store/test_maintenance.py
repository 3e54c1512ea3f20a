"""Store maintenance: batched retention per table, SQL broker and Redis dead letters, VACUUM/ANALYZE."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import JSON, Column, Engine, MetaData, Table, func, insert, select, text

from marketjobs.clock import now_ms
from marketjobs.config import Settings
from marketjobs.jobs.broker import broker_from_url
from marketjobs.services.maintenance_run import purge_broker_dead_letters, run_maintenance, run_retention
from marketjobs.store.analysis import Signal
from marketjobs.store.bars import Bar
from marketjobs.store.maintenance import delete_in_batches, vacuum
from marketjobs.store.models import Base, BrokerMessage, IdempotencyKey, JobRecord
from tests.conftest import fast_settings
from tests.servers import require_service

DAY_MS = 86_400_000


def job_row(job_id: str, status: str, age_days: float) -> dict[str, Any]:
    at = now_ms() - int(age_days * DAY_MS)
    return {
        "id": job_id,
        "job_type": "noop",
        "queue": "default",
        "priority": "normal",
        "status": status,
        "seq": 0,
        "attempts": 1,
        "progress": 0.0,
        "cancel_requested": False,
        "created_at": at,
        "updated_at": at,
        "finished_at": at if status in ("completed", "cancelled", "skipped", "dead") else None,
    }


def settings_for(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"job_record_retention_days": 30, "signal_retention_days": 365}
    values.update(overrides)
    return fast_settings(database_url, **values)


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def ids(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(JobRecord.id)).scalars())


@pytest.fixture
def seeded(engine: Engine) -> Engine:
    """Job records of every status, young and old, with idempotency keys; bars and signals."""
    rows = [job_row(f"old-{s}", s, 40) for s in ("completed", "cancelled", "skipped", "dead")]
    rows += [job_row(f"old-{s}", s, 40) for s in ("pending", "running", "retrying")]
    rows += [job_row(f"new-{s}", s, 1) for s in ("completed", "cancelled")]
    rows += [job_row(f"old-completed-{i}", "completed", 31 + i) for i in range(5)]
    old_key = now_ms() - 40 * DAY_MS
    keys = [
        {"key": "k-finished", "message_id": "old-completed", "job_type": "noop", "created_at": old_key},
        {"key": "k-running", "message_id": "old-running", "job_type": "noop", "created_at": old_key},
        {"key": "k-orphan", "message_id": "gone", "job_type": "noop", "created_at": old_key},
        {"key": "k-young", "message_id": "new-completed", "job_type": "noop", "created_at": now_ms()},
    ]
    now = now_ms()
    bars = [
        {
            "symbol": "AAA",
            "ts": now - d * DAY_MS,
            "open": 1.0,
            "high": 1.0,
            "low": 1.0,
            "close": 1.0,
            "volume": 1.0,
            "source": "test",
            "updated_at": now,
        }
        for d in (1, 5, 100, 200)
    ]
    signals = [
        {
            "symbol": "AAA",
            "ts": now - d * DAY_MS,
            "signal": "rsi_above_70",
            "direction": "up",
            "value": 71.0,
            "job_id": None,
            "created_at": now - d * DAY_MS,
        }
        for d in (1, 400, 500)
    ]
    with engine.begin() as connection:
        connection.execute(insert(JobRecord), rows)
        connection.execute(insert(IdempotencyKey), keys)
        connection.execute(insert(Bar), bars)
        connection.execute(insert(Signal), signals)
    return engine


def test_retention_deletes_old_finished_jobs_in_batches_and_keeps_in_flight_and_dead_ones(
    seeded: Engine, database_url: str
) -> None:
    summary = run_retention(seeded, settings_for(database_url), batch_size=3)
    assert summary.deleted["job_records"] == 8  # 3 old finished statuses + 5 old completed
    assert ids(seeded) == {
        "old-dead",  # dead letters stay until `marketjobs dlq purge`
        "old-pending",
        "old-running",
        "old-retrying",
        "new-completed",
        "new-cancelled",
    }
    with seeded.connect() as connection:
        keys = set(connection.execute(select(IdempotencyKey.key)).scalars())
    assert keys == {"k-running", "k-young"}
    assert summary.deleted["idempotency_keys"] == 2
    assert summary.skipped["bars"] == "bar_retention_days is not set; every bar is kept"
    assert count(seeded, Bar.__table__) == 4
    assert summary.deleted["signals"] == 2
    assert count(seeded, Signal.__table__) == 1
    assert summary.skipped["broker_dead_letters"] == "no broker given"


def test_bar_retention_applies_when_set(seeded: Engine, database_url: str) -> None:
    summary = run_retention(seeded, settings_for(database_url, bar_retention_days=50))
    assert summary.deleted["bars"] == 2
    with seeded.connect() as connection:
        left = sorted(connection.execute(select(Bar.ts)).scalars())
    assert [round((now_ms() - ts) / DAY_MS) for ts in left] == [5, 1]


def test_dry_run_counts_without_deleting(seeded: Engine, database_url: str) -> None:
    before = count(seeded, JobRecord.__table__)
    summary = run_maintenance(seeded, settings_for(database_url, bar_retention_days=50), dry_run=True)
    assert summary.deleted["job_records"] == 8
    assert summary.deleted["bars"] == 2
    assert summary.vacuumed == []  # a dry run does not vacuum
    assert count(seeded, JobRecord.__table__) == before


def test_a_stop_request_ends_retention_between_batches(seeded: Engine, database_url: str) -> None:
    asked: list[int] = []

    def stop_after_two_batches() -> bool:
        asked.append(1)
        return len(asked) > 2

    summary = run_retention(
        seeded, settings_for(database_url), batch_size=3, should_stop=stop_after_two_batches
    )
    assert summary.stopped is True
    assert summary.deleted == {"job_records": 6}
    assert count(seeded, JobRecord.__table__) == 14 - 6


def test_delivered_alert_firings_older_than_the_job_retention_are_deleted(
    engine: Engine, database_url: str
) -> None:
    metadata = MetaData()
    json_columns = (Column("params", JSON), Column("sinks", JSON))  # MariaDB reflects JSON as LONGTEXT
    rules = Table("alert_rules", metadata, *json_columns, autoload_with=engine)
    firings = Table("alert_firings", metadata, autoload_with=engine)
    old, young = now_ms() - 40 * DAY_MS, now_ms() - DAY_MS
    with engine.begin() as connection:
        rule_id = connection.execute(
            insert(rules).values(
                name="r",
                symbol="AAA",
                rule_type="price_above",
                params={},
                sinks=["log"],
                cooldown_seconds=0,
                enabled=True,
                created_at=old,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        connection.execute(
            insert(firings),
            [
                {
                    "rule_id": rule_id,
                    "symbol": "AAA",
                    "bar_ts": i,
                    "message": "m",
                    "sink": "log",
                    "status": status,
                    "attempts": 1,
                    "created_at": created,
                    "delivered_at": created if status == "delivered" else None,
                }
                for i, (status, created) in enumerate(
                    [("delivered", old), ("delivered", young), ("failed", old), ("pending", old)]
                )
            ],
        )
    summary = run_retention(engine, settings_for(database_url))
    assert summary.deleted["alert_firings"] == 1
    with engine.connect() as connection:
        left = connection.execute(
            select(firings.c.status, firings.c.created_at).order_by(firings.c.bar_ts)
        ).all()
    assert [tuple(row) for row in left] == [("delivered", young), ("failed", old), ("pending", old)]


def test_missing_alert_firings_table_is_skipped(engine: Engine, database_url: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alert_firings"))
    summary = run_retention(engine, settings_for(database_url))
    assert summary.skipped["alert_firings"] == "table alert_firings does not exist"
    assert "alert_firings" not in summary.deleted


def dead_message(row_id: int, state: str, dead_days: float | None) -> dict[str, Any]:
    now = now_ms()
    return {
        "id": row_id,
        "queue": "q",
        "priority": 2,
        "eta": now,
        "state": state,
        "message_id": f"m{row_id}",
        "payload": b"{}",
        "deliveries": 1,
        "enqueued_at": now,
        "dead_at": None if dead_days is None else int(now - dead_days * DAY_MS),
    }


def test_sql_broker_dead_letters_past_retention_are_purged(database_url: str) -> None:
    settings = settings_for(database_url, dead_letter_retention_days=7)
    broker = broker_from_url(database_url, settings=settings)
    try:
        engine = broker.table.engine  # type: ignore[attr-defined]
        with engine.begin() as connection:
            connection.execute(
                insert(BrokerMessage),
                [dead_message(1, "dead", 8), dead_message(2, "dead", 6), dead_message(3, "ready", None)]
                + [dead_message(10 + i, "dead", 30) for i in range(4)],
            )
        summary = run_retention(create_engine_for(database_url), settings, broker=broker, batch_size=2)
        assert summary.deleted["broker_dead_letters"] == 5
        with engine.connect() as connection:
            assert sorted(connection.execute(select(BrokerMessage.id)).scalars()) == [2, 3]
    finally:
        broker.close()


def create_engine_for(url: str) -> Engine:
    from marketjobs.store.engine import create_store_engine

    return create_store_engine(url)


@pytest.fixture
def redis_broker(sqlite_url: str) -> Iterator[Any]:
    url = require_service("redis")
    broker = broker_from_url(url, settings=fast_settings(sqlite_url, url))
    namespace = f"mjtest{uuid.uuid4().hex[:8]}"
    broker.namespace = namespace  # type: ignore[attr-defined]
    yield broker
    client: Any = broker.client  # type: ignore[attr-defined]
    for key in client.scan_iter(match=f"{namespace}:*"):
        client.delete(key)
    broker.close()


def test_redis_dead_letters_past_retention_are_purged(redis_broker: Any) -> None:
    client, namespace = redis_broker.client, redis_broker.namespace
    now = now_ms()
    for queue in ("analysis", "analysis.high"):
        xq = f"{namespace}:{queue}.XQ"
        ages = {"old1": 8, "old2": 30, "young": 1}
        client.zadd(xq, {f"{queue}-{name}": now - days * DAY_MS for name, days in ages.items()})
        client.hset(f"{xq}.msgs", mapping={f"{queue}-{name}": b"{}" for name in ages})
    assert purge_broker_dead_letters(redis_broker, timedelta(days=7), dry_run=True) == 4
    assert purge_broker_dead_letters(redis_broker, timedelta(days=7), batch_size=1) == 4
    for queue in ("analysis", "analysis.high"):
        xq = f"{namespace}:{queue}.XQ"
        assert client.zrange(xq, 0, -1) == [f"{queue}-young".encode()]
        assert client.hkeys(f"{xq}.msgs") == [f"{queue}-young".encode()]


def test_stub_broker_keeps_no_dead_letters_to_expire(sqlite_url: str) -> None:
    broker = broker_from_url("stub://", settings=fast_settings(sqlite_url))
    assert purge_broker_dead_letters(broker, timedelta(days=1)) is None


def test_batched_delete_needs_a_positive_batch_size(engine: Engine) -> None:
    table = Base.metadata.tables["job_records"]
    with pytest.raises(ValueError, match="batch_size=0 must be at least 1"):
        delete_in_batches(engine, table, table.c.status == "x", batch_size=0)


def test_vacuum_reclaims_space_and_analyses_on_every_database(seeded: Engine, database_url: str) -> None:
    with seeded.begin() as connection:
        connection.execute(
            insert(JobRecord),
            [job_row(f"bulk-{i}", "completed", 100) | {"error": "x" * 2000} for i in range(300)],
        )
    run_retention(seeded, settings_for(database_url))
    summary = run_maintenance(seeded, settings_for(database_url), tasks=["vacuum"])
    assert summary.deleted == {}
    assert {"job_records", "bars", "signals", "portfolio_reports"} <= set(summary.vacuumed)
    dialect = seeded.dialect.name
    with seeded.connect() as connection:
        if dialect == "sqlite":
            assert (
                connection.exec_driver_sql("PRAGMA freelist_count").scalar() == 0
            )  # VACUUM rebuilt the file
            assert connection.exec_driver_sql(
                "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'job_records'"
            ).scalar()  # ANALYZE ran
        elif dialect == "postgresql":
            # VACUUM (ANALYZE) sets the catalog's live-row estimate (-1 means never analysed).
            tuples = connection.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE relname = 'job_records'"
            ).scalar()
            assert tuples == 6
        else:
            assert vacuum(seeded, ["job_records"]) == ["job_records"]


def test_unknown_task_is_refused(engine: Engine, database_url: str) -> None:
    with pytest.raises(ValueError, match=r"unknown maintenance task\(s\) \['defrag'\]; choose from"):
        run_maintenance(engine, settings_for(database_url), tasks=["defrag"])


def test_retention_prunes_rows_of_workers_stopped_a_day_ago_and_keeps_live_ones(sqlite_url: str) -> None:
    from marketjobs import clock
    from marketjobs.store.workers import list_workers, write_heartbeat

    engine = create_engine_for(sqlite_url)
    now = clock.now_ms()
    base = {
        "hostname": "h",
        "parent_pid": None,
        "pool": "p",
        "queues": [],
        "threads": 1,
        "started_at": 0,
        "jobs_processed": 0,
        "jobs_failed": 0,
        "current_jobs": [],
        "rss_bytes": 0,
        "version": "t",
    }
    write_heartbeat(
        engine, {**base, "id": "old-stop", "pid": 1, "state": "stopped", "heartbeat_at": now - 2 * DAY_MS}
    )
    write_heartbeat(
        engine, {**base, "id": "new-stop", "pid": 2, "state": "stopped", "heartbeat_at": now - 60_000}
    )
    write_heartbeat(engine, {**base, "id": "live", "pid": 3, "state": "running", "heartbeat_at": now})
    summary = run_retention(engine, settings_for(sqlite_url))
    assert summary.deleted["workers"] == 1
    kept = {w.id for w in list_workers(engine, now_ms=now, lost_after_ms=30_000)}
    assert kept == {"new-stop", "live"}
