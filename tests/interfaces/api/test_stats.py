"""``/api/stats``: counts by status, completed and failed jobs per bucket with throughput and failure ratio,
queue latency."""

from __future__ import annotations

from tests.interfaces.api.conftest import LiveApi, error_of


def test_stats_count_finished_jobs_per_bucket(live_api: LiveApi) -> None:
    live_api.start_worker()
    ok = [live_api.send_probe() for _ in range(3)]
    bad = live_api.send_probe(fail=True)
    for job_id in ok:
        live_api.wait_for_status(job_id, "completed")
    live_api.wait_for_status(bad, "dead")
    stats = live_api.viewer.get("/api/stats", params={"window_minutes": 10, "buckets": 5}).json()
    assert stats["counts"]["completed"] == 3
    assert stats["counts"]["dead"] == 1
    assert stats["counts"]["pending"] == 0
    assert stats["total"] == 4
    buckets = stats["buckets"]
    assert len(buckets) == 5
    assert [b["start_ms"] for b in buckets] == sorted(b["start_ms"] for b in buckets)
    assert buckets[-1]["end_ms"] - buckets[0]["start_ms"] == 10 * 60_000
    assert sum(b["completed"] for b in buckets) == 3
    assert sum(b["failed"] for b in buckets) == 1
    last = buckets[-1]
    assert last["failure_ratio"] == 0.25
    assert last["throughput_per_minute"] == 4 / 2
    assert buckets[0]["failure_ratio"] is None
    assert {q["queue"] for q in stats["queues"]} >= {"default", "maintenance"}
    assert all(q["latency_seconds"] is not None for q in stats["queues"])


def test_a_bad_window_is_a_422(sqlite_api: LiveApi) -> None:
    for params in ({"window_minutes": 0}, {"buckets": 0}, {"buckets": 100_000}, {"window_minutes": 10**12}):
        assert error_of(sqlite_api.viewer.get("/api/stats", params=params), 422)
