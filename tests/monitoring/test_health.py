"""Health checks on a real SQLite store and SQL broker: each check's ok and failing case, and failing results
that name what to look at."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq import Message
from sqlalchemy import Engine, insert

from marketjobs import clock
from marketjobs.brokers import open_broker
from marketjobs.config import Settings
from marketjobs.constants import Status
from marketjobs.store.bars import Bar
from marketjobs.store.engine import create_store_engine
from marketjobs.store.migrate import head_revision
from marketjobs.store.models import JobRecord
from marketjobs.store.schedules import Schedule, SchedulerLease
from marketjobs.store.workers import write_heartbeat
from monitoring import names
from monitoring.health import (
    CHECKS,
    CheckResult,
    HealthContext,
    HealthReport,
    HealthStatus,
    liveness,
    readiness,
    run_checks,
)
from monitoring.health.metrics import HealthCollector
from monitoring.health.runtime import (
    SCHEDULER_LEASE_NAME,
    SCHEDULER_REDIS_KEY,
    check_broker,
    check_queue_latency,
    check_scheduler,
    check_workers,
)
from monitoring.health.store import (
    check_bars,
    check_database,
    check_dead_letters,
    check_failure_ratio,
    check_stuck_jobs,
)
from tests.conftest import fast_settings
from tests.servers import free_port, require_service

OK, DEGRADED, UNHEALTHY = HealthStatus.OK, HealthStatus.DEGRADED, HealthStatus.UNHEALTHY
MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
QUEUE = "analysis"


# -- rows ----------------------------------------------------------------------------------------------


def add_job(
    engine: Engine, job_id: str, status: Status, *, at: int, job_type: str = "analysis", **extra: Any
) -> None:
    """A job record created (and, unless running, finished) at ``at`` epoch ms."""
    finished = None if status in (Status.PENDING, Status.RUNNING) else at
    values = {
        "id": job_id,
        "job_type": job_type,
        "queue": QUEUE,
        "priority": "normal",
        "status": status.value,
        "seq": 7,
        "attempts": 1,
        "progress": 0.0,
        "cancel_requested": False,
        "created_at": at,
        "started_at": at,
        "finished_at": finished,
        "updated_at": at,
        "hostname": "h1",
        "pid": 42,
        **extra,
    }
    with engine.begin() as connection:
        connection.execute(insert(JobRecord), [values])


def add_worker(
    engine: Engine,
    worker_id: str,
    *,
    pool: str | None,
    heartbeat_at: int,
    state: str = "running",
    pid: int = 100,
) -> None:
    """A worker registry row as its heartbeat writes it."""
    write_heartbeat(
        engine,
        {
            "id": worker_id,
            "hostname": "h1",
            "pid": pid,
            "parent_pid": 1,
            "pool": pool,
            "queues": [],
            "threads": 4,
            "started_at": heartbeat_at - MINUTE_MS,
            "heartbeat_at": heartbeat_at,
            "jobs_processed": 0,
            "jobs_failed": 0,
            "current_jobs": [],
            "rss_bytes": 0,
            "version": "test",
            "state": state,
        },
    )


def add_schedule(engine: Engine, name: str, *, next_run_at: int, last_tick_at: int | None = None) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(Schedule),
            [
                {
                    "name": name,
                    "spelling": "every 5 minutes",
                    "timezone": "UTC",
                    "actor": "price_update",
                    "kwargs": {},
                    "enabled": True,
                    "missed": "skip",
                    "last_tick_at": last_tick_at,
                    "next_run_at": next_run_at,
                    "last_enqueued_at": last_tick_at,
                    "enqueued_count": 0,
                }
            ],
        )


def add_lease(engine: Engine, *, holder: str, expires_at: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(SchedulerLease),
            [{"name": SCHEDULER_LEASE_NAME, "holder": holder, "expires_at": expires_at}],
        )


def add_bar(engine: Engine, symbol: str, ts: int) -> None:
    row = {"symbol": symbol, "ts": ts, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0}
    with engine.begin() as connection:
        connection.execute(insert(Bar), [{**row, "source": "test", "updated_at": ts}])


# -- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return fast_settings(sqlite_url, sqlite_url)


@pytest.fixture
def engine(sqlite_url: str) -> Engine:
    return create_store_engine(sqlite_url)


@pytest.fixture
def sql_broker(settings: Settings) -> Iterator[dramatiq.Broker]:
    """The SQL broker on the test store, with the analysis queue declared."""
    broker = open_broker(settings.broker_url, settings=settings)
    broker.declare_queue(QUEUE)
    yield broker
    broker.close()


def context(
    engine: Engine, settings: Settings, broker: dramatiq.Broker | None = None, **kwargs: Any
) -> HealthContext:
    return HealthContext(engine=engine, settings=settings, now_ms=clock.now_ms(), broker=broker, **kwargs)


def assert_names(result: CheckResult, status: HealthStatus, *fragments: str) -> None:
    """The result has ``status`` and, unless ok, a hint holding every fragment (what to look at)."""
    assert result.status is status, result
    if status is OK:
        assert result.hint is None
    else:
        assert result.hint
        for fragment in fragments:
            assert fragment in result.hint, (fragment, result.hint)


# -- statuses and reports ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "exit_code", "gauge"), [(OK, 0, 1.0), (DEGRADED, 1, 0.5), (UNHEALTHY, 2, 0.0)]
)
def test_each_status_has_its_exit_code_and_gauge_value(
    status: HealthStatus, exit_code: int, gauge: float
) -> None:
    assert (status.exit_code, status.gauge) == (exit_code, gauge)


def test_a_report_is_as_bad_as_its_worst_check() -> None:
    checks = (CheckResult("a", OK, "x"), CheckResult("b", DEGRADED, "y", "z"), CheckResult("c", OK, "w"))
    report = HealthReport(checks, 0)
    assert (report.status, report.exit_code) == (DEGRADED, 1)
    assert report.as_dict()["checks"][1] == {"name": "b", "status": "degraded", "detail": "y", "hint": "z"}
    assert HealthReport((), 0).status is OK


# -- database ------------------------------------------------------------------------------------------


def test_database_is_ok_when_reachable_and_at_head(engine: Engine, settings: Settings) -> None:
    result = check_database(context(engine, settings))
    assert_names(result, OK)
    assert head_revision() in result.detail


def test_database_behind_head_is_unhealthy_and_names_db_upgrade(tmp_path: Any, settings: Settings) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    result = check_database(context(engine, settings))
    assert_names(result, UNHEALTHY, "marketjobs db upgrade")
    assert "revision none" in result.detail


def test_unreachable_database_is_unhealthy_and_nothing_else_is_checked(settings: Settings) -> None:
    engine = create_store_engine(f"postgresql://nobody:secret@127.0.0.1:{free_port()}/none")
    opened: list[str] = []

    def broker() -> dramatiq.Broker:
        opened.append("broker")
        return open_broker("stub://", settings=settings)

    report = run_checks(engine, settings, broker=broker)
    database, *rest = report.checks
    assert_names(database, UNHEALTHY, "MARKETJOBS_DATABASE_URL")
    assert "cannot read the job store" in database.detail
    assert "secret" not in database.detail
    assert [c.name for c in report.checks] == [c.name for c in CHECKS]
    assert all(c.status is UNHEALTHY and c.detail.startswith("not checked") for c in rest)
    assert opened == []  # a SQL broker would migrate the store it opens
    assert report.exit_code == 2


# -- broker and queue latency --------------------------------------------------------------------------


def test_broker_is_ok_when_it_answers_with_its_queue_depths(
    engine: Engine, settings: Settings, sql_broker: dramatiq.Broker
) -> None:
    sql_broker.enqueue(Message(queue_name=QUEUE, actor_name="a", args=(), kwargs={}, options={}))
    result = check_broker(context(engine, settings, sql_broker))
    assert_names(result, OK)
    assert "1 queues, 1 ready" in result.detail


def test_unreachable_broker_is_unhealthy_and_latency_is_not_checked(
    engine: Engine, settings: Settings
) -> None:
    url = f"redis://:secret@127.0.0.1:{free_port()}/0"
    broker = open_broker(url, settings=settings)
    broker.declare_queue(QUEUE)
    report = run_checks(engine, settings.model_copy(update={"broker_url": url}), broker=broker)
    results = {c.name: c for c in report.checks}
    assert_names(results["broker"], UNHEALTHY, "MARKETJOBS_BROKER_URL")
    assert "secret" not in results["broker"].detail
    assert results["queue_latency"].detail == "not checked: the broker check failed"
    assert results["database"].status is OK


def test_a_broker_that_cannot_be_opened_is_unhealthy(engine: Engine, settings: Settings) -> None:
    def broker() -> dramatiq.Broker:
        raise RuntimeError("no such broker")

    results = {c.name: c for c in run_checks(engine, settings, broker=broker).checks}
    assert results["broker"].status is UNHEALTHY
    assert "cannot open the broker: RuntimeError: no such broker" in results["broker"].detail
    assert results["failure_ratio"].status is OK  # store checks still run


def test_queue_latency_is_ok_when_no_message_waits(
    engine: Engine, settings: Settings, sql_broker: dramatiq.Broker
) -> None:
    assert_names(check_queue_latency(context(engine, settings, sql_broker)), OK)


@pytest.mark.parametrize(("waited_seconds", "status"), [(100, OK), (600, DEGRADED), (1_000, UNHEALTHY)])
def test_queue_latency_degrades_past_the_threshold_and_names_the_queue_and_pool(
    engine: Engine, sql_broker: dramatiq.Broker, sqlite_url: str, waited_seconds: float, status: HealthStatus
) -> None:
    settings = fast_settings(sqlite_url, sqlite_url, health_max_latency_seconds=300)
    sql_broker.enqueue(Message(queue_name=QUEUE, actor_name="a", args=(), kwargs={}, options={}))
    with clock.use_clock(lambda: time.time() + waited_seconds):  # the broker reads the one clock
        result = check_queue_latency(context(engine, settings, sql_broker))
    assert_names(result, status, f"{QUEUE} waits", "pool default", "marketjobs workers")


# -- workers -------------------------------------------------------------------------------------------


def test_workers_are_ok_when_each_pool_has_its_minimum(engine: Engine, settings: Settings) -> None:
    add_worker(engine, "w1", pool="default", heartbeat_at=clock.now_ms())
    result = check_workers(context(engine, settings))
    assert_names(result, OK)
    assert "default 1 (min 1)" in result.detail


def test_a_pool_without_live_workers_is_unhealthy_and_names_the_supervisor(
    engine: Engine, settings: Settings
) -> None:
    add_worker(engine, "gone", pool="default", heartbeat_at=clock.now_ms(), state="stopped")
    result = check_workers(context(engine, settings))
    assert_names(
        result, UNHEALTHY, "pool default has 0 live workers", "marketjobs supervisor", "marketjobs workers"
    )


def test_a_lost_worker_or_a_pool_below_its_minimum_is_degraded(engine: Engine, sqlite_url: str) -> None:
    settings = fast_settings(sqlite_url, pools={"default": {"min": 2, "max": 4}}, worker_lost_seconds=30)
    now = clock.now_ms()
    add_worker(engine, "live", pool="default", heartbeat_at=now)
    add_worker(engine, "silent", pool="default", heartbeat_at=now - 5 * MINUTE_MS)
    result = check_workers(context(engine, settings))
    assert_names(result, DEGRADED, "needs 2", "silent for 5 min", "marketjobs workers")
    assert "1 lost" in result.detail


def test_workers_started_by_hand_keep_an_empty_pool_degraded_not_unhealthy(
    engine: Engine, settings: Settings
) -> None:
    add_worker(engine, "by-hand", pool=None, heartbeat_at=clock.now_ms())
    result = check_workers(context(engine, settings))
    assert result.status is DEGRADED
    assert "1 outside pools" in result.detail


# -- failures, dead letters, stuck jobs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "dead", "status"),
    [(4, 4, OK), (19, 1, OK), (17, 3, DEGRADED), (10, 10, UNHEALTHY)],
    ids=["too-few-to-judge", "5-percent", "15-percent", "50-percent"],
)
def test_failure_ratio_over_the_window(
    engine: Engine, settings: Settings, completed: int, dead: int, status: HealthStatus
) -> None:
    now = clock.now_ms()
    for i in range(completed):
        add_job(engine, f"c{i}", Status.COMPLETED, at=now - MINUTE_MS)
    for i in range(dead):
        add_job(engine, f"d{i}", Status.DEAD, at=now - MINUTE_MS, job_type="price_update", error="boom")
    for i in range(30):  # before the window: not counted
        add_job(engine, f"old{i}", Status.DEAD, at=now - 2 * HOUR_MS)
    result = check_failure_ratio(context(engine, settings))
    assert_names(result, status, f"price_update {dead}/{dead}", "marketjobs dlq list")
    assert f"{dead} of {completed + dead} jobs" in result.detail


@pytest.mark.parametrize(("count", "status"), [(2, OK), (12, DEGRADED), (31, UNHEALTHY)])
def test_dead_letters_in_the_window(
    engine: Engine, settings: Settings, count: int, status: HealthStatus
) -> None:
    now = clock.now_ms()
    for i in range(count):
        add_job(engine, f"d{i}", Status.DEAD, at=now - MINUTE_MS, job_type="alerts")
    for i in range(40):
        add_job(engine, f"old{i}", Status.DEAD, at=now - 2 * HOUR_MS)
    result = check_dead_letters(context(engine, settings))
    assert_names(result, status, f"alerts {count}", "marketjobs dlq list", "marketjobs dlq retry")
    assert result.detail.startswith(f"{count} new dead letters")


def test_a_job_running_past_its_time_limit_is_stuck_and_named(engine: Engine, settings: Settings) -> None:
    now = clock.now_ms()
    add_job(engine, "fresh", Status.RUNNING, at=now - MINUTE_MS)
    assert_names(check_stuck_jobs(context(engine, settings)), OK)
    add_job(engine, "hung", Status.RUNNING, at=now - 2 * HOUR_MS)  # limit 600 s + margin 300 s
    result = check_stuck_jobs(context(engine, settings))
    assert_names(result, DEGRADED, "marketjobs jobs show", "marketjobs jobs cancel", "marketjobs workers")
    assert "hung (analysis) running 2.0 h on h1:42" in result.detail
    assert "fresh" not in result.detail


def test_a_job_type_with_a_longer_time_limit_is_not_stuck_within_it(
    engine: Engine, settings: Settings
) -> None:
    add_job(engine, "long", Status.RUNNING, at=clock.now_ms() - 2 * HOUR_MS, job_type="backfill")
    result = check_stuck_jobs(context(engine, settings, time_limits={"backfill": 3 * 3600.0}))
    assert_names(result, OK)


# -- scheduler and bars --------------------------------------------------------------------------------


def test_scheduler_is_ok_without_enabled_schedules(engine: Engine, settings: Settings) -> None:
    assert_names(check_scheduler(context(engine, settings)), OK)


def test_enabled_schedules_without_a_leader_are_unhealthy(engine: Engine, settings: Settings) -> None:
    now = clock.now_ms()
    add_schedule(engine, "prices", next_run_at=now + MINUTE_MS)
    result = check_scheduler(context(engine, settings))
    assert_names(result, UNHEALTHY, "marketjobs scheduler", "marketjobs schedules list")
    add_lease(engine, holder="h1:7:abc", expires_at=now - 90_000)
    result = check_scheduler(context(engine, settings))
    assert result.status is UNHEALTHY
    assert "h1:7:abc's expired 90 s ago" in result.detail


@pytest.mark.parametrize(("late_minutes", "status"), [(-1, OK), (10, DEGRADED), (20, UNHEALTHY)])
def test_scheduler_with_a_leader_degrades_when_a_schedule_is_past_due(
    engine: Engine, settings: Settings, late_minutes: int, status: HealthStatus
) -> None:
    now = clock.now_ms()
    add_lease(engine, holder="h1:7:abc", expires_at=now + MINUTE_MS)
    add_schedule(engine, "prices", next_run_at=now - late_minutes * MINUTE_MS, last_tick_at=now - HOUR_MS)
    result = check_scheduler(context(engine, settings))
    assert_names(result, status, "not ticking", "marketjobs schedules list")
    assert "leader h1:7:abc" in result.detail
    assert "last tick 60 min ago" in result.detail


def test_on_a_redis_broker_the_leader_lease_is_read_from_redis(engine: Engine, settings: Settings) -> None:
    # A database of its own: the scheduler tests take the same lease key on the shared one.
    url = require_service("redis").rsplit("/", 1)[0] + "/12"
    broker = open_broker(url, settings=settings)
    client: Any = broker.client  # type: ignore[attr-defined]
    redis_settings = settings.model_copy(update={"broker_url": url})
    add_schedule(engine, "prices", next_run_at=clock.now_ms() + MINUTE_MS)
    try:
        client.set(SCHEDULER_REDIS_KEY, "h2:9:abc", px=60_000)
        result = check_scheduler(context(engine, redis_settings, broker))
        assert_names(result, OK)
        assert "leader h2:9:abc" in result.detail
        client.delete(SCHEDULER_REDIS_KEY)
        assert_names(
            check_scheduler(context(engine, redis_settings, broker)), UNHEALTHY, "marketjobs scheduler"
        )
    finally:
        client.delete(SCHEDULER_REDIS_KEY)
        broker.close()


def test_bars_are_ok_when_none_are_stored_or_the_newest_is_fresh(engine: Engine, settings: Settings) -> None:
    assert check_bars(context(engine, settings)).detail == "no bars stored (nothing to judge)"
    now = clock.now_ms()
    add_bar(engine, "AAPL", now - HOUR_MS)
    add_bar(engine, "MSFT", now - 10 * 24 * HOUR_MS)
    result = check_bars(context(engine, settings))
    assert_names(result, OK)
    assert "(AAPL); 2 symbols, 1 older than 96 h" in result.detail


@pytest.mark.parametrize(("age_days", "status"), [(5, DEGRADED), (13, UNHEALTHY)])
def test_stale_bars_degrade_and_name_the_price_update(
    engine: Engine, settings: Settings, age_days: int, status: HealthStatus
) -> None:
    add_bar(engine, "AAPL", clock.now_ms() - age_days * 24 * HOUR_MS)
    result = check_bars(context(engine, settings))
    assert_names(result, status, "marketjobs schedules list", "marketjobs jobs list --type price_update")


# -- runs, readiness, liveness, the gauge ---------------------------------------------------------------


def test_a_healthy_deployment_passes_every_check(
    engine: Engine, settings: Settings, sql_broker: dramatiq.Broker
) -> None:
    now = clock.now_ms()
    add_worker(engine, "w1", pool="default", heartbeat_at=now)
    add_lease(engine, holder="h1:7:abc", expires_at=now + MINUTE_MS)
    add_schedule(engine, "prices", next_run_at=now + MINUTE_MS, last_tick_at=now - 4 * MINUTE_MS)
    add_bar(engine, "AAPL", now - HOUR_MS)
    for i in range(20):
        add_job(engine, f"c{i}", Status.COMPLETED, at=now - MINUTE_MS)
    report = run_checks(engine, settings, broker=lambda: sql_broker)
    assert [c.name for c in report.checks] == [c.name for c in CHECKS]
    assert report.exit_code == 0, [c for c in report.checks if c.status is not OK]


def test_readiness_checks_only_the_database_and_broker_and_liveness_reads_nothing(
    engine: Engine, settings: Settings, sql_broker: dramatiq.Broker
) -> None:
    report = readiness(engine, settings, broker=sql_broker)
    assert [(c.name, c.status) for c in report.checks] == [("database", OK), ("broker", OK)]
    assert [(c.name, c.status) for c in liveness().checks] == [("process", OK)]
    with pytest.raises(ValueError, match="known checks are database, broker"):
        run_checks(engine, settings, broker=sql_broker, names=["disk"])


def test_the_gauge_reports_each_check_and_reuses_a_recent_run(
    engine: Engine, settings: Settings, sql_broker: dramatiq.Broker
) -> None:
    runs: list[HealthReport] = []

    def report() -> HealthReport:
        runs.append(run_checks(engine, settings, broker=sql_broker))
        return runs[-1]

    collector = HealthCollector(report, cache_seconds=60)
    first = {s.labels["check"]: s.value for m in collector.collect() for s in m.samples}
    second = {s.labels["check"]: s.value for m in collector.collect() for s in m.samples}
    assert len(runs) == 1
    assert first == second
    assert first["database"] == 1.0
    assert first["workers"] == 0.0  # pool default has no worker
    assert next(iter(collector.collect())).name == names.HEALTH_CHECK


def test_the_scheduler_lease_names_match_the_schedulers() -> None:
    from scheduler.leader import DEFAULT_LEASE_NAME, REDIS_KEY_PREFIX

    assert SCHEDULER_LEASE_NAME == DEFAULT_LEASE_NAME
    assert REDIS_KEY_PREFIX + DEFAULT_LEASE_NAME == SCHEDULER_REDIS_KEY
