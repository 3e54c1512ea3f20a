"""``POST /api/bulk/{cancel|retry|purge}``: by the job filters, a dry-run count first, a cap."""

from __future__ import annotations

from tests.interfaces.api.conftest import FAILING, LiveApi, error_of


def _dead_probes(api: LiveApi, n: int) -> list[str]:
    api.start_worker()
    ids = [api.send_probe(fail=True, note=f"dead{i}") for i in range(n)]
    for job_id in ids:
        api.wait_for_status(job_id, "dead")
    return ids


def test_a_dry_run_counts_and_lists_without_acting(live_api: LiveApi) -> None:
    ids = [live_api.send_probe() for _ in range(4)]
    live_api.flush()
    answer = live_api.operator.post("/api/bulk/cancel", params={"job_type": "api_probe"}).json()
    assert answer["action"] == "cancel"
    assert answer["dry_run"] is True
    assert answer["matched"] == 4
    assert answer["acted"] == 0
    assert sorted(answer["ids"]) == sorted(ids)
    assert not any(live_api.job(job_id).cancel_requested for job_id in ids)


def test_cancel_by_filter_flags_only_jobs_in_flight(live_api: LiveApi) -> None:
    ids = [live_api.send_probe(note="cancel-me") for _ in range(3)]
    other = live_api.send_probe(note="keep-me")
    live_api.flush()
    answer = live_api.operator.post("/api/bulk/cancel", params={"q": "cancel-me", "dry_run": "false"}).json()
    assert answer["acted"] == 3
    assert sorted(answer["ids"]) == sorted(ids)
    assert all(live_api.job(job_id).cancel_requested for job_id in ids)
    assert not live_api.job(other).cancel_requested


def test_retry_acts_on_at_most_the_cap_newest_first_and_the_rest_stays_matched(live_api: LiveApi) -> None:
    dead = _dead_probes(live_api, 5)
    FAILING.clear()
    first = live_api.operator.post(
        "/api/bulk/retry", params={"status": "dead", "limit": 2, "dry_run": "false"}
    ).json()
    assert first["matched"] == 5
    assert first["acted"] == 2
    assert set(first["retried_as"]) == set(first["ids"])
    newest = sorted(dead, key=lambda i: (live_api.job(i).created_at, i), reverse=True)[:2]
    assert first["ids"] == newest
    for new in first["retried_as"].values():
        live_api.wait_for_status(new, "completed")
    rest = live_api.operator.post("/api/bulk/retry", params={"status": "dead"}).json()
    assert rest["matched"] == 3  # retried dead letters are not matched again
    assert set(rest["ids"]) == set(dead) - set(first["ids"])


def test_retry_never_touches_completed_or_pending_jobs(live_api: LiveApi) -> None:
    live_api.start_worker()
    done = live_api.send_probe()
    live_api.wait_for_status(done, "completed")
    answer = live_api.operator.post("/api/bulk/retry", params={"dry_run": "false"}).json()
    assert answer["matched"] == 0
    assert answer["ids"] == []


def test_purge_needs_a_filter_or_all_and_never_deletes_jobs_in_flight(live_api: LiveApi) -> None:
    assert "all=true" in error_of(live_api.operator.post("/api/bulk/purge"), 422)
    assert "all=true" in error_of(live_api.operator.post("/api/bulk/purge", params={"dry_run": "false"}), 422)
    worker = live_api.start_worker()
    done = [live_api.send_probe() for _ in range(3)]
    for job_id in done:
        live_api.wait_for_status(job_id, "completed")
    worker.stop()
    live_api.workers.remove(worker)
    waiting = live_api.send_probe()
    live_api.flush()
    dry = live_api.operator.post("/api/bulk/purge", params={"all": "true"}).json()
    assert dry["matched"] == 3
    assert dry["acted"] == 0
    purged = live_api.operator.post("/api/bulk/purge", params={"all": "true", "dry_run": "false"}).json()
    assert sorted(purged["ids"]) == sorted(done)
    assert purged["acted"] == 3
    remaining = live_api.viewer.get("/api/jobs").json()["jobs"]
    assert [job["id"] for job in remaining] == [waiting]
    # asking for running jobs by status purges nothing
    none = live_api.operator.post("/api/bulk/purge", params={"status": "pending", "dry_run": "false"}).json()
    assert none["matched"] == 0


def test_a_bad_action_or_cap_is_a_422(sqlite_api: LiveApi) -> None:
    assert "action" in error_of(sqlite_api.operator.post("/api/bulk/explode"), 422)
    assert "limit" in error_of(sqlite_api.operator.post("/api/bulk/cancel", params={"limit": 10_001}), 422)
    assert "limit" in error_of(sqlite_api.operator.post("/api/bulk/cancel", params={"limit": 0}), 422)
    assert error_of(sqlite_api.operator.post("/api/bulk/cancel", params={"since_ms": 10**20}), 422)
