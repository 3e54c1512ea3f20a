"""Actors run by real worker processes in the fault tests (imported by `dramatiq tests.fault_actors`)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dramatiq

from marketjobs.config import get_settings
from marketjobs.jobs.broker import broker_from_url

broker = broker_from_url(get_settings().broker_url)
dramatiq.set_broker(broker)
#: Where jobs leave their side effects: one file per item done, and a log line per run.
EFFECTS_DIR = Path(os.environ.get("FAULT_EFFECTS_DIR", "var/fault-effects"))


@dramatiq.actor(queue_name="faults", max_retries=3)
def record_work(n: int) -> int:
    """Idempotent work: marks item ``n`` done, slowly enough to be caught mid-run; logs every run."""
    time.sleep(0.02)
    (EFFECTS_DIR / "done" / str(n)).touch()
    with open(EFFECTS_DIR / "runs.log", "a") as log:
        log.write(f"{n} {os.getpid()}\n")
    return n
