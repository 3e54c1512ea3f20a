"""Job statistics: per job type, the jobs that finished in a window, their throughput and failure ratio."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from marketjobs.jobs.stats import by_job_type
from marketjobs.store.upsert import upsert_newer
from tests.store.test_upsert import NOW_MS, row

MINUTE_MS = 60_000


def finished(
    job_id: str, job_type: str, status: str, *, ago_minutes: float, took_ms: int = 500
) -> dict[str, Any]:
    end = NOW_MS - int(ago_minutes * MINUTE_MS)
    return row(job_id, status, 7, job_type=job_type, started_at=end - took_ms, finished_at=end)


def test_finished_jobs_of_each_type_in_the_window_are_counted(engine: Engine) -> None:
    with engine.begin() as connection:
        upsert_newer(
            connection,
            [
                finished("a1", "price_update", "completed", ago_minutes=1, took_ms=1000),
                finished("a2", "price_update", "completed", ago_minutes=2, took_ms=3000),
                finished("a3", "price_update", "dead", ago_minutes=3),
                finished("a4", "price_update", "cancelled", ago_minutes=4),
                finished("b1", "alerts", "completed", ago_minutes=5),
                finished("old", "alerts", "dead", ago_minutes=90),  # before the window
                row("p1", "pending", 0, job_type="alerts", started_at=None, finished_at=None),  # in flight
            ],
        )
    stats = {s.job_type: s for s in by_job_type(engine, now_ms=NOW_MS, window_ms=60 * MINUTE_MS)}
    assert set(stats) == {"price_update", "alerts"}
    prices = stats["price_update"]
    assert (prices.completed, prices.failed, prices.cancelled) == (2, 1, 1)
    assert prices.failure_ratio == pytest.approx(1 / 3)
    assert prices.throughput_per_minute == pytest.approx(3 / 60)
    assert prices.mean_seconds == pytest.approx(2.0)
    assert (stats["alerts"].completed, stats["alerts"].failed, stats["alerts"].failure_ratio) == (1, 0, 0.0)


def test_an_empty_window_has_no_types(engine: Engine) -> None:
    assert by_job_type(engine, now_ms=NOW_MS, window_ms=MINUTE_MS) == []
