"""``/api/events``: Server-Sent Events of the counts every interval and of one job's changes; the stream
ends when the client goes away."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from tests.conftest import wait_until
from tests.interfaces.api.conftest import LiveApi, error_of


def _events(response: httpx.Response) -> Iterator[tuple[str, Any]]:
    name = None
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: ") and name is not None:
            yield name, json.loads(line.removeprefix("data: "))
            name = None


def test_stats_events_arrive_every_interval_with_counts_and_queues(live_api: LiveApi) -> None:
    live_api.send_probe()
    live_api.flush()
    with live_api.viewer.stream("GET", "/api/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        received = []
        for name, data in _events(response):
            received.append((name, data))
            if len(received) == 2:
                break
    assert [name for name, _ in received] == ["stats", "stats"]
    counts = received[0][1]["counts"]
    assert counts["pending"] == 1
    assert "default" in {q["queue"] for q in received[0][1]["queues"]}


def test_job_events_follow_a_job_until_it_completes(live_api: LiveApi) -> None:
    job_id = live_api.send_probe()
    live_api.flush()
    statuses: list[str] = []

    def watch() -> None:
        with live_api.viewer.stream("GET", "/api/events", params={"job_id": job_id}) as response:
            for name, data in _events(response):
                if name == "job":
                    statuses.append(data["status"])
                    if data["status"] == "completed":
                        return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    wait_until(lambda: statuses == ["pending"])
    live_api.start_worker()
    watcher.join(timeout=30)
    assert statuses[0] == "pending"
    assert statuses[-1] == "completed"
    assert len(statuses) == len(set(statuses))  # an event per change, not per poll


def test_the_stream_ends_when_the_client_disconnects(live_api: LiveApi) -> None:
    with live_api.viewer.stream("GET", "/api/events") as response:
        events = _events(response)  # kept: closing the reader would close the connection
        next(events)
        assert live_api.app.state.open_event_streams == 1
        next(events)  # still streaming
        assert live_api.app.state.open_event_streams == 1
    wait_until(lambda: live_api.app.state.open_event_streams == 0, timeout=10)


def test_an_unknown_job_is_a_404_and_a_viewer_token_is_needed(sqlite_api: LiveApi) -> None:
    assert "no job" in error_of(sqlite_api.viewer.get("/api/events", params={"job_id": "nope"}), 404)
    assert error_of(sqlite_api.anonymous.get("/api/events"), 401)
