"""``/api/queues``: depth, latency and pause per user queue; pause really stops consumption and resume
starts it again; ETags."""

from __future__ import annotations

import time

from tests.interfaces.api.conftest import LiveApi, error_of

#: Longer than brokers take to see a pause or resume (they re-read pauses every 2 s).
PAUSE_SEEN_SECONDS = 3.0


def _queues(api: LiveApi) -> dict[str, dict[str, object]]:
    return {q["queue"]: q for q in api.viewer.get("/api/queues").json()}


def test_every_declared_queue_is_listed_with_its_depth_and_latency(live_api: LiveApi) -> None:
    live_api.send_probe()
    live_api.send_probe()
    queues = _queues(live_api)
    assert {"default", "maintenance", "price_update", "analysis"} <= set(queues)
    assert queues["default"]["ready"] == 2
    assert queues["default"]["delayed"] == 0
    assert isinstance(queues["default"]["latency_seconds"], float)
    assert queues["maintenance"]["paused"] is False


def test_pause_stops_consumption_and_resume_starts_it_again(live_api: LiveApi) -> None:
    paused = live_api.operator.post("/api/queues/default/pause").json()
    assert paused["paused"] is True
    assert paused["paused_by"] == "ops"
    assert paused["paused_at"] > 0
    time.sleep(PAUSE_SEEN_SECONDS)
    live_api.start_worker()
    job_id = live_api.send_probe()
    time.sleep(PAUSE_SEEN_SECONDS)
    assert live_api.job(job_id).status == "pending"
    assert _queues(live_api)["default"]["ready"] == 1
    resumed = live_api.operator.post("/api/queues/default/resume").json()
    assert resumed["paused"] is False
    live_api.wait_for_status(job_id, "completed", timeout=PAUSE_SEEN_SECONDS * 5)


def test_an_unknown_queue_is_a_404(sqlite_api: LiveApi) -> None:
    assert "maintenance" in error_of(sqlite_api.operator.post("/api/queues/nope/pause"), 404)
    assert error_of(sqlite_api.operator.post("/api/queues/nope/resume"), 404)


def test_the_queue_list_answers_304_while_unchanged(sqlite_api: LiveApi) -> None:
    tag = sqlite_api.viewer.get("/api/queues").headers["etag"]
    assert sqlite_api.viewer.get("/api/queues", headers={"If-None-Match": tag}).status_code == 304
    sqlite_api.operator.post("/api/queues/maintenance/pause")
    assert sqlite_api.viewer.get("/api/queues", headers={"If-None-Match": tag}).status_code == 200
