"""The ``marketjobs_health_check{check}`` gauge: each check's status at scrape time (1 ok, 0.5 degraded,
0 unhealthy), computed by ``marketjobs exporter`` and cached for a few seconds so that several Prometheus
servers scraping at once run the checks once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitoring import names
from monitoring.health.base import HealthReport

__all__ = ["DEFAULT_HEALTH_CACHE_SECONDS", "HealthCollector"]

logger = logging.getLogger(__name__)

#: How long one run of the checks serves scrapes.
DEFAULT_HEALTH_CACHE_SECONDS = 10.0


class HealthCollector(Collector):
    """Yields the gauge from ``report()`` (e.g. a :func:`monitoring.health.run_checks` call), run at most once
    per ``cache_seconds``."""

    def __init__(
        self, report: Callable[[], HealthReport], *, cache_seconds: float = DEFAULT_HEALTH_CACHE_SECONDS
    ) -> None:
        if cache_seconds < 0:
            raise ValueError(
                f"cache_seconds={cache_seconds} is negative; pass 0 to run the checks every scrape"
            )
        self.report = report
        self.cache_seconds = cache_seconds
        self._lock = threading.Lock()
        self._cached: tuple[float, HealthReport] | None = None

    def current(self) -> HealthReport:
        """The cached report, or a fresh one when it is older than ``cache_seconds``."""
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] >= self.cache_seconds:
                self._cached = (now, self.report())
            return self._cached[1]

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            names.HEALTH_CHECK,
            "Status of each health check: 1 ok, 0.5 degraded, 0 unhealthy (see marketjobs health)",
            labels=["check"],
        )
        try:
            report = self.current()
        except Exception:  # the store's metrics still go out; the gauge's absence alerts
            logger.exception("health checks failed")
            return
        for check in report.checks:
            family.add_metric([check.name], check.status.gauge)
        yield family
