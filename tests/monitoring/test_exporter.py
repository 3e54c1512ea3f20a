"""The exporter's metrics against a real SQL broker and store, scraped over HTTP like Prometheus does."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator

import dramatiq
import pytest
from prometheus_client import start_http_server
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, insert

from marketjobs.brokers import broker_from_url, queue_depths
from marketjobs.config import configure
from marketjobs.store.engine import create_store_engine
from marketjobs.store.schedules import Schedule
from monitoring import names
from monitoring.exporter import StoreCollector, registry_for
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
    collector = StoreCollector(create_store_engine(sqlite_url), lambda: queue_depths(sql_broker))
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
    now_ms = int(time.time() * 1000)
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
