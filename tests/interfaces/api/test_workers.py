"""``/api/workers``: the registry from heartbeats; a silent worker is reported lost."""

from __future__ import annotations

from marketjobs.clock import now_ms
from marketjobs.store.workers import write_heartbeat
from tests.conftest import wait_until
from tests.interfaces.api.conftest import LiveApi, error_of


def _silent_worker(api: LiveApi) -> str:
    now = now_ms()
    write_heartbeat(
        api.engine,
        {
            "id": "gone-host:4242:1", "hostname": "gone-host", "pid": 4242, "parent_pid": None,
            "pool": "default", "queues": ["default"], "threads": 2, "started_at": now - 600_000,
            "heartbeat_at": now - 300_000, "jobs_processed": 7, "jobs_failed": 1, "current_jobs": [],
            "rss_bytes": 50 << 20, "version": "test", "state": "running",
        },
    )  # fmt: skip
    return "gone-host:4242:1"


def test_a_running_worker_and_a_lost_one_are_listed(live_api: LiveApi) -> None:
    lost = _silent_worker(live_api)
    live_api.start_worker()

    def listed() -> dict[str, dict[str, object]]:
        return {w["id"]: w for w in live_api.viewer.get("/api/workers").json()}

    wait_until(lambda: any(w["state"] == "running" for w in listed().values()))
    workers = listed()
    assert workers[lost]["state"] == "lost"
    assert workers[lost]["jobs_processed"] == 7
    running = live_api.viewer.get("/api/workers", params={"state": "running"}).json()
    assert running
    assert all(w["state"] == "running" for w in running)
    assert live_api.viewer.get("/api/workers", params={"pool": "nope"}).json() == []


def test_a_bad_state_is_a_422(sqlite_api: LiveApi) -> None:
    assert "state" in error_of(sqlite_api.viewer.get("/api/workers", params={"state": "zombie"}), 422)
