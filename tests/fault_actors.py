"""Actors run by real worker processes in the fault tests (imported by `dramatiq tests.fault_actors`)."""

from __future__ import annotations

import os
import time

import dramatiq
import redis

from marketjobs.brokers import broker_from_url
from marketjobs.config import get_settings

broker = broker_from_url(get_settings().broker_url)
dramatiq.set_broker(broker)
_effects = redis.Redis.from_url(os.environ.get("FAULT_EFFECTS_URL", "redis://127.0.0.1:6379/15"))


@dramatiq.actor(queue_name="faults", max_retries=3)
def record_work(n: int) -> int:
    """Idempotent work: marks item ``n`` done (a set), slowly enough to be caught mid-run."""
    time.sleep(0.02)
    _effects.sadd("fault-test:done", n)
    return n
