"""Worker-side module of benchmarks/sql_broker.py: a no-op and a pickup-latency actor on BENCH_BROKER_URL.

BENCH_STACK=bare uses the broker alone (Dramatiq's RedisBroker, or our SQL broker without middleware);
BENCH_STACK=marketjobs uses broker_from_url() with job records, retries and the rest.
"""

from __future__ import annotations

import os
import time

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from marketjobs.brokers.sql import SQLBrokerBase
from marketjobs.jobs.broker import broker_from_url
from monitoring.worker import WorkerMetrics

URL = os.environ.get("BENCH_BROKER_URL", "sqlite:///var/bench-broker.db")
STACK = os.environ.get("BENCH_STACK", "bare")
LATENCY_LOG = os.environ.get("BENCH_LATENCY_LOG", "var/bench-latency.log")

broker: dramatiq.Broker
if STACK == "marketjobs":
    broker = broker_from_url(URL, middleware=[WorkerMetrics()])
elif URL.startswith("redis"):
    broker = RedisBroker(url=URL)
else:
    broker = SQLBrokerBase(URL)
dramatiq.set_broker(broker)


@dramatiq.actor(queue_name="bench", max_retries=0)
def noop() -> None:
    """Does nothing: the benchmark measures the broker."""


@dramatiq.actor(queue_name="latency", max_retries=0)
def pickup(sent_at: float) -> None:
    """Logs how long the message waited between send and start, in seconds."""
    with open(LATENCY_LOG, "a") as log:
        log.write(f"{time.time() - sent_at}\n")
