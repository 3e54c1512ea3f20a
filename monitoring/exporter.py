"""Store- and broker-level metrics, read once per scrape by one exporter process (not once per worker).

``marketjobs exporter`` serves them over HTTP for Prometheus. The collector reads queue depths from the
broker and aggregates from the job store on every scrape; a failed read is reported as
``marketjobs_exporter_up 0`` and counted, never as a crashed endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import Engine, func, select

from marketjobs.brokers.depth import QueueDepth
from marketjobs.constants import Status
from marketjobs.store.models import JobRecord
from marketjobs.store.schedules import Schedule
from marketjobs.store.types import utcnow
from monitoring import names

__all__ = ["StoreCollector", "registry_for"]

logger = logging.getLogger(__name__)


class StoreCollector(Collector):
    """Collects queue depths (``depths()``) and job-record aggregates (``engine``) at scrape time."""

    def __init__(self, engine: Engine, depths: Callable[[], Iterable[QueueDepth]]) -> None:
        self.engine = engine
        self.depths = depths
        self.scrape_errors = 0

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(names.EXPORTER_UP, "1 when the last scrape read the broker and the store")
        try:
            metrics = [self._queues(), *self._records(), *self._schedules()]
        except Exception:
            logger.exception("metrics scrape failed")
            self.scrape_errors += 1
            metrics = []
            up.add_metric([], 0.0)
        else:
            up.add_metric([], 1.0)
        yield from metrics
        yield up
        errors = CounterMetricFamily(
            names.EXPORTER_SCRAPE_ERRORS, "Scrapes that failed to read the broker or store"
        )
        errors.add_metric([], float(self.scrape_errors))
        yield errors

    def _queues(self) -> Metric:
        family = GaugeMetricFamily(
            names.QUEUE_MESSAGES, "Messages in each queue by state", labels=["queue", "state"]
        )
        for depth in self.depths():
            family.add_metric([depth.queue, "ready"], float(depth.ready))
            family.add_metric([depth.queue, "delayed"], float(depth.delayed))
            family.add_metric([depth.queue, "dead"], float(depth.dead))
        return family

    def _records(self) -> list[Metric]:
        records = GaugeMetricFamily(
            names.JOB_RECORDS, "Job records by type and status", labels=["job_type", "status"]
        )
        dead = GaugeMetricFamily(names.DEAD_LETTERS, "Dead letters not yet retried", labels=["job_type"])
        oldest = GaugeMetricFamily(
            names.OLDEST_PENDING_AGE, "Age of the oldest pending job in seconds", labels=["job_type"]
        )
        by_status = select(JobRecord.job_type, JobRecord.status, func.count()).group_by(
            JobRecord.job_type, JobRecord.status
        )
        waiting = (
            select(JobRecord.job_type, func.count(), func.min(JobRecord.created_at))
            .where(JobRecord.status == Status.PENDING.value)
            .group_by(JobRecord.job_type)
        )
        not_retried = (
            select(JobRecord.job_type, func.count())
            .where(JobRecord.status == Status.DEAD.value, JobRecord.retried_as.is_(None))
            .group_by(JobRecord.job_type)
        )
        now = utcnow()
        with self.engine.connect() as connection:
            for job_type, status, count in connection.execute(by_status):
                records.add_metric([job_type, status], float(count))
            for job_type, count in connection.execute(not_retried):
                dead.add_metric([job_type], float(count))
            for job_type, _count, first in connection.execute(waiting):
                oldest.add_metric([job_type], _age_seconds(now, first))
        return [records, dead, oldest]

    def _schedules(self) -> list[Metric]:
        families = _schedule_families()
        query = select(
            Schedule.name,
            Schedule.enabled,
            Schedule.last_tick_at,
            Schedule.next_run_at,
            Schedule.enqueued_count,
        )
        now_ms = utcnow().timestamp() * 1000
        with self.engine.connect() as connection:
            for name, enabled, last_tick, next_run, sent in connection.execute(query):
                families["on"].add_metric([name], 1.0 if enabled else 0.0)
                families["sent"].add_metric([name], float(sent or 0))
                if last_tick is not None:
                    families["last"].add_metric([name], last_tick / 1000)
                if next_run is not None:
                    families["next"].add_metric([name], next_run / 1000)
                    lag = max(0.0, (now_ms - next_run) / 1000) if enabled else 0.0
                    families["lag"].add_metric([name], lag)
        return list(families.values())


def _schedule_families() -> dict[str, Any]:
    label = ["schedule"]
    return {
        "last": GaugeMetricFamily(names.SCHEDULE_LAST_TICK, "When the schedule last enqueued", labels=label),
        "next": GaugeMetricFamily(names.SCHEDULE_NEXT_RUN, "When the schedule runs next", labels=label),
        "lag": GaugeMetricFamily(names.SCHEDULE_LAG, "Seconds the next tick is past due", labels=label),
        "sent": CounterMetricFamily(names.SCHEDULE_ENQUEUED, "Messages the schedule enqueued", labels=label),
        "on": GaugeMetricFamily(names.SCHEDULE_ENABLED, "1 when the schedule is enabled", labels=label),
    }


def _age_seconds(now: datetime, then: Any) -> float:
    if not isinstance(then, datetime):
        return 0.0
    return max(0.0, (now - then).total_seconds())


def registry_for(collector: StoreCollector) -> CollectorRegistry:
    """A registry holding only ``collector`` (no process metrics of the exporter itself)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry
