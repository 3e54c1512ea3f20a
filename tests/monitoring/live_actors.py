"""Actors of the live monitoring test's worker processes (``dramatiq tests.monitoring.live_actors``).

Importing :mod:`actors` declares the product's real actors on the broker from settings, so the workers run
the real diagnostics and ``price_update`` jobs. ``domain_metrics`` stands in for the ``technical_analysis``
and ``alerts`` job types until they exist: it records indicator, signal and alert-delivery metrics through
:mod:`monitoring.domain` exactly as those jobs do, from a real (small) Polars computation.
"""

from __future__ import annotations

import time

import dramatiq
import polars as pl

import actors
from monitoring import domain

__all__ = ["domain_metrics"]


@dramatiq.actor(queue_name="live", max_retries=0, broker=actors.broker)
def domain_metrics(rows: int, signals: dict[str, int], delivered: int, failed: int) -> dict[str, int]:
    """Computes a rolling mean over ``rows`` closes and records it; records signals and alert deliveries."""
    closes = pl.Series("close", [float(n % 97) for n in range(rows)])
    started = time.perf_counter()
    closes.rolling_mean(20)
    domain.indicators_computed(time.perf_counter() - started, rows)
    domain.signals_detected(signals)
    for _ in range(delivered):
        domain.alert_fired("webhook", "price_above")
    for _ in range(failed):
        domain.alert_delivery_failed("webhook")
    return {"rows": rows}
