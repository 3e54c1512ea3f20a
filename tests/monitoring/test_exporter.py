"""The exporter's metrics against a real SQL broker and store, scraped over HTTP like Prometheus does."""

from __future__ import annotations

import sqlite3
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import dramatiq
import pytest
from prometheus_client import start_http_server
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine, event, insert
from sqlalchemy.engine import make_url

from marketjobs import clock
from marketjobs.brokers import queue_depths
from marketjobs.config import configure
from marketjobs.jobs.broker import broker_from_url
from marketjobs.store.bars import Bar
from marketjobs.store.engine import create_store_engine
from marketjobs.store.models import JobRecord
from marketjobs.store.schedules import Schedule
from monitoring import names
from monitoring.exporter import StoreCollector, actor_time_limits, registry_for
from tests.conftest import fast_settings, records_of


@pytest.fixture
def sql_broker(sqlite_url: str) -> Iterator[dramatiq.Broker]:
    """The SQL broker and the job store in one SQLite file."""
    settings = fast_settings(sqlite_url, sqlite_url)
    configure(settings)
    broker = broker_from_url(sqlite_url, settings=settings)
    yield broker
    broker.close()
    configure(None)


def samples(collector: StoreCollector) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found = {}
    for family in collector.collect():
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def test_queue_depths_and_job_records_are_reported_per_queue_type_and_status(
    sql_broker: dramatiq.Broker, sqlite_url: str
) -> None:
    @dramatiq.actor(queue_name="exports", broker=sql_broker)
    def export_job() -> None: ...

    for _ in range(3):
        export_job.send()
    export_job.send_with_options(delay=60_000)
    records_of(sql_broker).flush()
    collector = StoreCollector(
        create_store_engine(sqlite_url), lambda: queue_depths(sql_broker), job_types={"export_job"}
    )
    found = samples(collector)
    queue = names.QUEUE_MESSAGES
    assert found[(queue, frozenset({("queue", "exports"), ("state", "ready")}))] == 3
    assert found[(queue, frozenset({("queue", "exports"), ("state", "delayed")}))] == 1
    assert found[(names.JOB_RECORDS, frozenset({("job_type", "export_job"), ("status", "pending")}))] == 4
    assert found[(names.OLDEST_PENDING_AGE, frozenset({("job_type", "export_job")}))] >= 0
    assert found[(names.EXPORTER_UP, frozenset())] == 1


def test_an_unreachable_store_reports_down_and_counts_the_error(tmp_path: object) -> None:
    engine = create_engine("sqlite:////nonexistent-dir/store.db")
    collector = StoreCollector(engine, lambda: [])
    found = samples(collector)
    assert found[(names.EXPORTER_UP, frozenset())] == 0
    assert found[(names.EXPORTER_SCRAPE_ERRORS, frozenset())] == 1


def test_metrics_are_served_over_http_in_prometheus_text_format(
    sql_broker: dramatiq.Broker, sqlite_url: str
) -> None:
    collector = StoreCollector(create_store_engine(sqlite_url), lambda: queue_depths(sql_broker))
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry_for(collector))
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
        thread.join(5)
    families = {f.name for f in text_string_to_metric_families(text)}
    assert {names.QUEUE_MESSAGES, names.JOB_RECORDS, names.EXPORTER_UP} <= families


def test_schedules_report_last_tick_next_run_lag_and_count(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    now_ms = clock.now_ms()
    rows = [
        ("alerts", True, now_ms - 120_000, now_ms - 60_000, 7),  # a tick a minute overdue
        ("vacuum", False, None, now_ms - 3_600_000, 0),  # disabled: never lagging
    ]
    with engine.begin() as connection:
        for name, enabled, last_tick, next_run, count in rows:
            connection.execute(
                insert(Schedule).values(
                    name=name,
                    spelling="every minute",
                    timezone="UTC",
                    actor=name,
                    kwargs={},
                    enabled=enabled,
                    missed="skip",
                    last_tick_at=last_tick,
                    next_run_at=next_run,
                    last_enqueued_at=last_tick,
                    enqueued_count=count,
                )
            )
    found = samples(StoreCollector(engine, lambda: []))
    alerts = frozenset({("schedule", "alerts")})
    assert found[(names.SCHEDULE_ENQUEUED, alerts)] == 7
    assert found[(names.SCHEDULE_LAST_TICK, alerts)] == pytest.approx((now_ms - 120_000) / 1000)
    assert 59 <= found[(names.SCHEDULE_LAG, alerts)] < 120
    assert found[(names.SCHEDULE_LAG, frozenset({("schedule", "vacuum")}))] == 0
    assert found[(names.SCHEDULE_ENABLED, frozenset({("schedule", "vacuum")}))] == 0


def _record(job_id: str, job_type: str, status: str, started_seconds_ago: float | None) -> dict[str, object]:
    now = clock.now_ms()
    started = None if started_seconds_ago is None else now - int(started_seconds_ago * 1000)
    return {
        "id": job_id,
        "job_type": job_type,
        "queue": "analysis",
        "priority": "normal",
        "status": status,
        "seq": 0,
        "attempts": 1,
        "progress": 0.0,
        "cancel_requested": False,
        "created_at": now - 3_600_000,
        "started_at": started,
        "updated_at": now,
    }


def test_oldest_running_job_age_is_reported_beside_each_job_types_time_limit(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(
            insert(JobRecord),
            [
                _record("a", "technical_analysis", "running", 700),
                _record("b", "technical_analysis", "running", 30),
                _record("c", "price_update", "running", 5),
                _record("d", "alerts", "completed", 9000),  # finished: not running, however old
            ],
        )
    collector = StoreCollector(
        engine,
        lambda: [],
        time_limits={"alerts": 60.0},
        default_time_limit_seconds=600.0,
        job_types={"technical_analysis", "price_update", "alerts"},
    )
    found = samples(collector)
    running = names.OLDEST_RUNNING_AGE
    assert 700 <= found[(running, frozenset({("job_type", "technical_analysis")}))] < 760
    assert 5 <= found[(running, frozenset({("job_type", "price_update")}))] < 65
    assert (running, frozenset({("job_type", "alerts")})) not in found
    limit = names.JOB_TIME_LIMIT
    assert found[(limit, frozenset({("job_type", "technical_analysis")}))] == 600
    assert found[(limit, frozenset({("job_type", "alerts")}))] == 60


def test_dead_letters_are_zero_for_job_types_with_records_but_no_dead_letters(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(
            insert(JobRecord),
            [_record("a", "alerts", "completed", 10), _record("b", "price_update", "dead", 10)],
        )
    found = samples(StoreCollector(engine, lambda: [], job_types={"alerts", "price_update"}))
    assert found[(names.DEAD_LETTERS, frozenset({("job_type", "alerts")}))] == 0
    assert found[(names.DEAD_LETTERS, frozenset({("job_type", "price_update")}))] == 1


def _bars(engine: Engine, ages_hours: dict[str, list[float]]) -> None:
    now_ms = clock.now_ms()
    rows = [
        {
            "symbol": symbol,
            "ts": now_ms - int(hours * 3_600_000),
            "open": 1.0,
            "high": 1.0,
            "low": 1.0,
            "close": 1.0,
            "volume": 1.0,
            "source": "test",
            "updated_at": now_ms,
        }
        for symbol, hours_list in ages_hours.items()
        for hours in hours_list
    ]
    with engine.begin() as connection:
        connection.execute(insert(Bar), rows)


def test_bar_freshness_reports_each_symbols_last_bar_and_counts_stale_symbols(engine: Engine) -> None:
    _bars(engine, {"AAPL": [48, 24, 1], "MSFT": [30, 26], "DELISTED": [2000, 1000]})
    found = samples(StoreCollector(engine, lambda: [], bar_stale_after_seconds=25 * 3600))
    age = names.BAR_AGE
    assert 3600 <= found[(age, frozenset({("symbol", "AAPL")}))] < 3660
    assert 26 * 3600 <= found[(age, frozenset({("symbol", "MSFT")}))] < 26 * 3600 + 60
    assert 1000 * 3600 <= found[(age, frozenset({("symbol", "DELISTED")}))] < 1000 * 3600 + 60
    assert 3600 <= found[(names.BAR_NEWEST_AGE, frozenset())] < 3660
    assert found[(names.BAR_SYMBOLS, frozenset())] == 3
    assert found[(names.BAR_STALE_SYMBOLS, frozenset())] == 2
    assert found[(names.BAR_STALE_AFTER, frozenset())] == 25 * 3600


def test_bar_freshness_series_are_capped_to_the_stalest_symbols(engine: Engine) -> None:
    _bars(engine, {f"S{n:03d}": [float(n)] for n in range(1, 11)})
    found = samples(StoreCollector(engine, lambda: [], max_bar_symbols=3))
    symbols = {dict(labels)["symbol"] for name, labels in found if name == names.BAR_AGE}
    assert symbols == {"S010", "S009", "S008"}
    assert found[(names.BAR_SYMBOLS, frozenset())] == 10  # the totals still cover every symbol
    assert 3600 <= found[(names.BAR_NEWEST_AGE, frozenset())] < 3660


def test_no_bars_reports_zero_symbols_and_no_newest_age(engine: Engine) -> None:
    found = samples(StoreCollector(engine, lambda: []))
    assert found[(names.BAR_SYMBOLS, frozenset())] == 0
    assert found[(names.BAR_STALE_SYMBOLS, frozenset())] == 0
    assert (names.BAR_NEWEST_AGE, frozenset()) not in found


def test_actor_time_limits_reads_the_limits_actors_set_in_seconds(sql_broker: dramatiq.Broker) -> None:
    dramatiq.actor(actor_name="quick", time_limit=30_000, broker=sql_broker)(lambda: None)
    dramatiq.actor(actor_name="default_limit", broker=sql_broker)(lambda: None)
    limits = actor_time_limits(sql_broker)
    assert limits["quick"] == 30
    assert "default_limit" not in limits


def test_the_imported_actors_packages_time_limits_are_the_default(
    sql_broker: dramatiq.Broker, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dramatiq.actor(actor_name="slow_analysis", time_limit=3_600_000, broker=sql_broker)(lambda: None)
    monkeypatch.setitem(sys.modules, "actors", SimpleNamespace(broker=sql_broker))
    collector = StoreCollector(create_store_engine(sqlite_url), lambda: [], default_time_limit_seconds=600)
    found = samples(collector)
    assert found[(names.JOB_TIME_LIMIT, frozenset({("job_type", "slow_analysis")}))] == 3600


def test_the_worker_registry_is_exported_by_pool_and_state_with_the_largest_rss(sqlite_url: str) -> None:
    from marketjobs import clock
    from marketjobs.store.workers import write_heartbeat

    engine = create_store_engine(sqlite_url)
    now = clock.now_ms()
    base = {"hostname": "h", "parent_pid": 1, "queues": [], "threads": 2, "started_at": now - 60_000,
            "jobs_processed": 5, "jobs_failed": 0, "current_jobs": [], "version": "t"}  # fmt: skip
    rows = [("a", "analysis", "running", now, 100), ("b", "analysis", "running", now, 300),
            ("c", "analysis", "running", now - 3_600_000, 900), ("d", None, "draining", now, 50),
            ("e", "imports", "stopped", now, 70)]  # fmt: skip
    for worker_id, pool, state, beat, rss in rows:
        write_heartbeat(engine, {**base, "id": worker_id, "pid": len(worker_id), "pool": pool, "state": state,
                                 "heartbeat_at": beat, "rss_bytes": rss})  # fmt: skip
    found = samples(StoreCollector(engine, list, time_limits={}))
    workers = {labels: value for (name, labels), value in found.items() if name == names.WORKERS}
    assert workers == {
        frozenset({("pool", "analysis"), ("state", "running")}): 2.0,
        frozenset({("pool", "analysis"), ("state", "lost")}): 1.0,
        frozenset({("pool", "none"), ("state", "draining")}): 1.0,
    }
    rss = {labels: value for (name, labels), value in found.items() if name == names.WORKER_RSS_MAX}
    assert rss == {frozenset({("pool", "analysis")}): 300.0, frozenset({("pool", "none")}): 50.0}


def test_records_with_made_up_job_types_collapse_into_one_other_series(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url)
    garbage = [_record(f"g{n}", f"random-{uuid.uuid4().hex}", status, 60) for n, status in
               enumerate(["pending", "running", "dead", "dead", "pending", "nonsense-status"])]  # fmt: skip
    known = [_record("a", "alerts", "pending", 10), _record("b", "alerts", "dead", 10)]
    with engine.begin() as connection:
        connection.execute(insert(JobRecord), garbage + known)
    found = samples(StoreCollector(engine, lambda: [], job_types={"alerts"}, time_limits={}))
    job_types = {dict(labels)["job_type"] for _, labels in found if "job_type" in dict(labels)}
    assert job_types == {"alerts", names.OTHER_LABEL}
    other = names.OTHER_LABEL
    records = {labels: v for (name, labels), v in found.items() if name == names.JOB_RECORDS}
    assert records[frozenset({("job_type", other), ("status", "pending")})] == 2
    assert records[frozenset({("job_type", other), ("status", other)})] == 1  # statuses are checked too
    assert found[(names.DEAD_LETTERS, frozenset({("job_type", other)}))] == 2
    assert found[(names.DEAD_LETTERS, frozenset({("job_type", "alerts")}))] == 1
    assert found[(names.OLDEST_PENDING_AGE, frozenset({("job_type", other)}))] >= 3600
    assert (names.OLDEST_RUNNING_AGE, frozenset({("job_type", other)})) in found
    assert found[(names.JOB_TIME_LIMIT, frozenset({("job_type", other)}))] > 0


def test_scrapes_within_the_cache_window_query_once(sqlite_url: str) -> None:
    engine = create_store_engine(sqlite_url, shared=False)
    statements: list[str] = []
    depth_reads: list[int] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    def depths() -> list[Any]:
        depth_reads.append(1)
        return []

    collector = StoreCollector(engine, depths, job_types=set(), time_limits={}, cache_seconds=5)
    first = samples(collector)
    queried = len(statements)
    assert queried > 0
    assert samples(collector) == first
    assert (len(statements), len(depth_reads)) == (queried, 1)
    fresh = StoreCollector(engine, depths, job_types=set(), time_limits={}, cache_seconds=0)
    samples(fresh)
    samples(fresh)
    assert len(depth_reads) == 3


def test_the_cache_window_defaults_to_the_exporter_cache_seconds_setting(sqlite_url: str) -> None:
    configure(fast_settings(sqlite_url, exporter_cache_seconds=12.5))
    try:
        assert StoreCollector(create_store_engine(sqlite_url), list, time_limits={}).cache_seconds == 12.5
    finally:
        configure(None)


def test_a_scrape_reads_while_another_process_holds_the_sqlite_write_lock(
    sql_broker: dramatiq.Broker, sqlite_url: str
) -> None:
    @dramatiq.actor(queue_name="exports", broker=sql_broker)
    def export_job() -> None: ...

    export_job.send()
    records_of(sql_broker).flush()
    writer = sqlite3.connect(make_url(sqlite_url).database or "", isolation_level=None, timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")  # a broker claim or a record write in progress
        writer.execute("UPDATE job_records SET progress = 1")
        collector = StoreCollector(
            create_store_engine(sqlite_url),
            lambda: queue_depths(sql_broker),
            job_types={"export_job"},
            cache_seconds=0,
        )
        started = time.monotonic()
        found = samples(collector)
        elapsed = time.monotonic() - started
    finally:
        writer.rollback()
        writer.close()
    assert found[(names.EXPORTER_UP, frozenset())] == 1
    assert found[(names.JOB_RECORDS, frozenset({("job_type", "export_job"), ("status", "pending")}))] == 1
    assert elapsed < 5  # a write transaction would wait out the 30 s busy timeout, then fail
