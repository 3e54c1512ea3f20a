"""Domain metrics recorded inside jobs: indicator compute time and rows, signals, alert firings and failures.

They live in the worker processes' Prometheus multiprocess directory beside
:class:`~monitoring.worker.WorkerMetrics` and are served with them. Without ``PROMETHEUS_MULTIPROC_DIR``
(tests, a notebook) every function is a no-op, so calling them costs nothing and never fails a job.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from marketjobs.services.hooks import RunHooks
from monitoring import names
from monitoring.worker import BUCKETS_SECONDS, MULTIPROC_ENV

__all__ = ["DomainMetrics", "alert_delivery_failed", "alert_fired", "indicators_computed", "signals_detected"]

_lock = threading.Lock()
_metrics: dict[str, Any] = {}


def _get() -> dict[str, Any] | None:
    if not os.environ.get(MULTIPROC_ENV):
        return None
    with _lock:  # two metric objects on one multiprocess file would overwrite each other's values
        if not _metrics:
            from prometheus_client import Counter, Histogram

            _metrics.update(
                compute=Histogram(
                    names.INDICATOR_COMPUTE_SECONDS,
                    "Time computing indicators and patterns per technical-analysis batch",
                    buckets=BUCKETS_SECONDS,
                    registry=None,
                ),
                rows=Counter(
                    names.INDICATOR_ROWS.removesuffix("_total"),
                    "Bar rows indicators were computed over",
                    registry=None,
                ),
                signals=Counter(
                    names.SIGNALS_DETECTED.removesuffix("_total"),
                    "Signal events stored",
                    ["signal"],
                    registry=None,
                ),
                fired=Counter(
                    names.ALERTS_FIRED.removesuffix("_total"),
                    "Alert firings",
                    ["sink", "rule_type"],
                    registry=None,
                ),
                failures=Counter(
                    names.ALERT_DELIVERY_FAILURES.removesuffix("_total"),
                    "Alert deliveries that failed and will be retried",
                    ["sink"],
                    registry=None,
                ),
            )
        return _metrics


def indicators_computed(seconds: float, rows: int) -> None:
    """One batch of indicators computed over ``rows`` bar rows in ``seconds``."""
    if (metrics := _get()) is not None:
        metrics["compute"].observe(seconds)
        metrics["rows"].inc(rows)


def signals_detected(counts: Mapping[str, int]) -> None:
    """Signal events stored, as signal name -> count."""
    if (metrics := _get()) is not None:
        for signal, count in counts.items():
            metrics["signals"].labels(signal).inc(count)


def alert_fired(sink: str, rule_type: str) -> None:
    """An alert delivered to ``sink``."""
    if (metrics := _get()) is not None:
        metrics["fired"].labels(sink, rule_type).inc()


def alert_delivery_failed(sink: str) -> None:
    """A delivery to ``sink`` that failed (the firing is kept and retried)."""
    if (metrics := _get()) is not None:
        metrics["failures"].labels(sink).inc()


class DomainMetrics(RunHooks):
    """The services' run hooks, counted as the domain metrics above."""

    def after_indicators(self, seconds: float, rows: int, signals: Mapping[str, int]) -> None:
        indicators_computed(seconds, rows)
        signals_detected(signals)

    def after_alert_delivered(self, sink: str, rule_type: str) -> None:
        alert_fired(sink, rule_type)

    def after_alert_failed(self, sink: str) -> None:
        alert_delivery_failed(sink)
