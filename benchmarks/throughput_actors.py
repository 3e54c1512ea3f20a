"""Worker-side module of benchmarks/throughput.py: a no-op actor on the broker BENCH_MODE selects."""

from __future__ import annotations

import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from marketjobs.jobs.broker import broker_from_url
from monitoring.worker import WorkerMetrics

MODE = os.environ.get("BENCH_MODE", "bare")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

broker = (
    RedisBroker(url=REDIS_URL) if MODE == "bare" else broker_from_url(REDIS_URL, middleware=[WorkerMetrics()])
)
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name="bench", max_retries=0)
def noop() -> None:
    """Does nothing: the benchmark measures the job machinery."""
