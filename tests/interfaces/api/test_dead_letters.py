"""``/api/dead-letters``: list with filters and cursor, retry one and see it complete, retry many by ids or
by filter, purge by filter or age (with the SQL broker's own dead copies)."""

from __future__ import annotations

import time

from tests.interfaces.api.conftest import FAILING, LiveApi, error_of


def _dead(api: LiveApi, n: int, note: str = "x") -> list[str]:
    api.start_worker()
    ids = [api.send_probe(fail=True, note=f"{note}{i}") for i in range(n)]
    for job_id in ids:
        api.wait_for_status(job_id, "dead")
    return ids


def test_dead_letters_are_listed_with_filters_and_a_cursor(live_api: LiveApi) -> None:
    dead = _dead(live_api, 3, note="page")
    done = live_api.send_probe()
    live_api.wait_for_status(done, "completed")
    seen: list[str] = []
    page = live_api.viewer.get("/api/dead-letters", params={"limit": 2}).json()
    seen += [job["id"] for job in page["jobs"]]
    page = live_api.viewer.get("/api/dead-letters", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    seen += [job["id"] for job in page["jobs"]]
    assert sorted(seen) == sorted(dead)
    assert all(job["error"] for job in page["jobs"])
    assert live_api.viewer.get("/api/dead-letters", params={"q": "page1"}).json()["jobs"][0]["id"] == dead[1]
    assert live_api.viewer.get("/api/dead-letters", params={"job_type": "other"}).json()["jobs"] == []
    assert "status" not in str(live_api.viewer.get("/openapi.json").json()["paths"]["/api/dead-letters"])


def test_a_retried_dead_letter_runs_again_and_completes(live_api: LiveApi) -> None:
    [dead] = _dead(live_api, 1)
    FAILING.clear()
    answer = live_api.operator.post(f"/api/dead-letters/{dead}/retry").json()
    new = answer["retried_as"]
    assert live_api.wait_for_status(new, "completed").retry_of == dead
    assert live_api.viewer.get(f"/api/jobs/{dead}").json()["retried_as"] == new
    assert live_api.viewer.get("/api/dead-letters", params={"retried": "false"}).json()["jobs"] == []
    assert "already retried" in error_of(live_api.operator.post(f"/api/dead-letters/{dead}/retry"), 409)
    assert "not dead" in error_of(live_api.operator.post(f"/api/dead-letters/{new}/retry"), 409)


def test_many_are_retried_by_ids_or_by_filter_after_a_dry_run(live_api: LiveApi) -> None:
    dead = _dead(live_api, 4)
    FAILING.clear()
    by_ids = live_api.operator.post("/api/dead-letters/retry", json={"ids": dead[:2]}).json()
    assert by_ids["dry_run"] is True
    assert sorted(by_ids["ids"]) == sorted(dead[:2])
    done = live_api.operator.post(
        "/api/dead-letters/retry", params={"dry_run": "false"}, json={"ids": [*dead[:2], "unknown"]}
    ).json()
    assert sorted(done["retried_as"]) == sorted(dead[:2])
    by_filter = live_api.operator.post("/api/dead-letters/retry", params={"dry_run": "false"}).json()
    assert sorted(by_filter["ids"]) == sorted(dead[2:])
    for new in [*done["retried_as"].values(), *by_filter["retried_as"].values()]:
        live_api.wait_for_status(new, "completed")
    nothing = live_api.operator.post("/api/dead-letters/retry", json={"ids": []}).json()
    assert nothing["matched"] == 0


def test_purge_by_age_deletes_the_records_and_the_brokers_dead_copies(live_api: LiveApi) -> None:
    dead = _dead(live_api, 2)
    assert "all=true" in error_of(live_api.operator.post("/api/dead-letters/purge"), 422)
    young = live_api.operator.post("/api/dead-letters/purge", params={"older_than_hours": 1}).json()
    assert young["matched"] == 0
    time.sleep(0.05)
    dry = live_api.operator.post("/api/dead-letters/purge", params={"older_than_hours": 0.00001}).json()
    assert dry["matched"] == 2
    assert dry["broker_purged"] == 2  # the SQL broker keeps a dead copy of each
    gone = live_api.operator.post(
        "/api/dead-letters/purge", params={"older_than_hours": 0.00001, "dry_run": "false"}
    ).json()
    assert sorted(gone["ids"]) == sorted(dead)
    assert gone["broker_purged"] == 2
    assert live_api.viewer.get("/api/dead-letters").json()["jobs"] == []
    depth = {q["queue"]: q for q in live_api.viewer.get("/api/queues").json()}
    assert depth["default"]["dead"] == 0


def test_purge_by_filter_leaves_other_dead_letters(live_api: LiveApi) -> None:
    dead = _dead(live_api, 2, note="keep")
    [other] = _dead(live_api, 1, note="drop")
    gone = live_api.operator.post("/api/dead-letters/purge", params={"q": "drop", "dry_run": "false"}).json()
    assert gone["ids"] == [other]
    assert gone["broker_purged"] is None  # copies are purged by age only
    left = [job["id"] for job in live_api.viewer.get("/api/dead-letters").json()["jobs"]]
    assert sorted(left) == sorted(dead)
