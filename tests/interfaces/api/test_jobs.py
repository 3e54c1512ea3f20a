"""``/api/jobs``: listing with filters, cursor pages and ETags; one job; cancel and retry."""

from __future__ import annotations

import pytest

from tests.interfaces.api.conftest import FAILING, LiveApi, error_of


def test_pages_follow_the_cursor_newest_first_over_several_pages(live_api: LiveApi) -> None:
    sent = [live_api.send_probe(note=f"n{i}") for i in range(7)]
    live_api.flush()
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 3, "job_type": "api_probe"}
        if cursor:
            params["cursor"] = cursor
        page = live_api.viewer.get("/api/jobs", params=params).json()
        seen += [job["id"] for job in page["jobs"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(sent)
    assert len(set(seen)) == 7
    created = [live_api.job(job_id).created_at for job_id in seen]
    assert created == sorted(created, reverse=True)


def test_filters_select_by_status_type_and_text_in_the_parameters(live_api: LiveApi) -> None:
    wanted = live_api.send_probe(note="needle-in-params")
    live_api.send_probe(note="hay")
    live_api.flush()
    found = live_api.viewer.get("/api/jobs", params={"q": "NEEDLE-in", "status": "pending"}).json()
    assert [job["id"] for job in found["jobs"]] == [wanted]
    assert live_api.viewer.get("/api/jobs", params={"status": "dead"}).json()["jobs"] == []
    assert live_api.viewer.get("/api/jobs", params={"job_type": "nothing"}).json()["jobs"] == []


@pytest.mark.parametrize(
    "query",
    [
        "since_ms=100000000000000000000000000000",
        "until_ms=-1",
        "status=bogus",
        "priority=urgent",
        "cursor=!!not-a-cursor!!",
        "cursor=bm90LWEtbnVtYmVyOng",  # "not-a-number:x"
        "limit=0",
        "limit=1000000",
        "q=" + "x" * 500,
        "q=%00",
    ],
)
def test_a_bad_filter_is_a_422_that_says_what_to_fix(sqlite_api: LiveApi, query: str) -> None:
    response = sqlite_api.viewer.get(f"/api/jobs?{query}")
    assert response.status_code == 422, response.text
    assert response.json()["error"]


def test_the_listing_answers_304_while_unchanged(live_api: LiveApi) -> None:
    live_api.send_probe()
    live_api.flush()
    first = live_api.viewer.get("/api/jobs")
    tag = first.headers["etag"]
    again = live_api.viewer.get("/api/jobs", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    live_api.send_probe()
    live_api.flush()
    changed = live_api.viewer.get("/api/jobs", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != tag


def test_one_job_has_every_field_and_an_unknown_one_is_a_404(live_api: LiveApi) -> None:
    job_id = live_api.send_probe(note="detail")
    live_api.flush()
    job = live_api.viewer.get(f"/api/jobs/{job_id}").json()
    assert job["id"] == job_id
    assert job["status"] == "pending"
    assert job["job_type"] == "api_probe"
    assert job["parameters"]["kwargs"]["note"] == "detail"
    missing = live_api.viewer.get("/api/jobs/no-such-job")
    assert "no job no-such-job" in error_of(missing, 404)


def test_cancel_stops_a_pending_job_before_it_runs_and_a_finished_one_is_a_409(live_api: LiveApi) -> None:
    job_id = live_api.send_probe()
    live_api.flush()
    answer = live_api.operator.post(f"/api/jobs/{job_id}/cancel")
    assert answer.json() == {"id": job_id, "status": "pending"}
    assert live_api.job(job_id).cancel_requested
    live_api.start_worker()
    assert live_api.wait_for_status(job_id, "skipped", "cancelled").started_at is None  # it never ran
    again = live_api.operator.post(f"/api/jobs/{job_id}/cancel")
    assert "only pending or running" in error_of(again, 409)
    assert live_api.operator.post("/api/jobs/nope/cancel").status_code == 404


def test_cancel_stops_a_running_job(live_api: LiveApi) -> None:
    live_api.start_worker()
    message = live_api.broker.get_actor("api_crawl").send()
    live_api.wait_for_status(message.message_id, "running")
    assert live_api.operator.post(f"/api/jobs/{message.message_id}/cancel").json()["status"] == "running"
    live_api.wait_for_status(message.message_id, "cancelled")


def test_retry_sends_a_dead_job_again_linked_both_ways(live_api: LiveApi) -> None:
    live_api.start_worker()
    dead = live_api.send_probe(fail=True)
    live_api.wait_for_status(dead, "dead")
    done = live_api.send_probe()
    live_api.wait_for_status(done, "completed")
    refused = live_api.operator.post(f"/api/jobs/{done}/retry")
    assert "completed" in error_of(refused, 409)
    FAILING.clear()
    answer = live_api.operator.post(f"/api/jobs/{dead}/retry").json()
    assert answer["id"] == dead
    new = answer["retried_as"]
    assert live_api.wait_for_status(new, "completed").retry_of == dead
    assert live_api.job(dead).retried_as == new
    twice = live_api.operator.post(f"/api/jobs/{dead}/retry")
    assert "already retried" in error_of(twice, 409)
