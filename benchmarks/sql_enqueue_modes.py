"""Enqueue rates from one client beyond single sends, for benchmarks/sql_broker.py: 8 threads sending at once
(the SQL broker commits their sends together: group commit) and ``send_many`` batches (one transaction per
batch on the SQL broker). Job records, where the stack writes them, are flushed after the timing, as in the
single-send rate of benchmarks/sql_broker.py."""

from __future__ import annotations

import threading
import time
from typing import Any

from marketjobs.jobs.bulk_send import send_many

__all__ = ["BATCH", "THREADS", "enqueue_rates"]

#: Threads sending at once in the concurrent mode.
THREADS = 8
#: Messages per ``send_many`` call in the batched mode.
BATCH = 500


def enqueue_rates(actors: Any, jobs: int) -> dict[str, float]:
    """{"threads": enqueue/s of THREADS threads, "batched": enqueue/s in BATCH-message ``send_many`` calls,
    "rows_per_commit": messages per commit in the threads mode (SQL broker)} for ``jobs`` no-op messages
    of ``actors`` (benchmarks/sql_broker_actors.py, loaded on the broker to measure)."""
    broker, noop = actors.broker, actors.noop
    group = getattr(broker, "_group_commit", None)
    writes_before = group.writes if group is not None else 0
    per_thread = max(1, jobs // THREADS)

    def send() -> None:
        for _ in range(per_thread):
            noop.send()

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rates = {"threads": per_thread * THREADS / (time.perf_counter() - start)}
    if group is not None and group.writes > writes_before:
        rates["rows_per_commit"] = per_thread * THREADS / (group.writes - writes_before)
    _settle(broker)
    start = time.perf_counter()
    for first in range(0, jobs, BATCH):
        send_many(noop, [{}] * min(BATCH, jobs - first))
    rates["batched"] = jobs / (time.perf_counter() - start)
    _settle(broker)
    return rates


def _settle(broker: Any) -> None:
    """Writes pending job records and empties the queue before the next mode."""
    for middleware in broker.middleware:
        if hasattr(middleware, "flush"):
            middleware.flush()
    broker.flush_all()
