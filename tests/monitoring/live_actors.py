"""Actors of the live monitoring test's worker processes (``dramatiq tests.monitoring.live_actors``).

Importing :mod:`actors` declares the product's real actors on the broker from settings, so the workers run
the real diagnostics, ``price_update``, ``technical_analysis`` and ``alerts`` jobs, which record the domain
metrics themselves. Whether real bars produce a signal event is up to the data, so ``signals`` records one
through :mod:`monitoring.domain` to give the signals panel a series whatever the bars.
"""

from __future__ import annotations

import dramatiq

import actors
from monitoring import domain

__all__ = ["signals"]


@dramatiq.actor(queue_name="live", max_retries=0, broker=actors.broker)
def signals(counts: dict[str, int]) -> None:
    """Records signal events as ``technical_analysis`` does."""
    domain.signals_detected(counts)
