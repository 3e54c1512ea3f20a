"""``/api/schedules``: list with next runs, enable, disable, run now."""

from __future__ import annotations

from pathlib import Path

from marketjobs.store.migrate import upgrade
from tests.interfaces.api.conftest import LiveApi, error_of, running_api

SECRET = "sched-pw-5150"


def test_schedules_are_listed_with_three_next_runs(live_api: LiveApi) -> None:
    schedules = {s["name"]: s for s in live_api.viewer.get("/api/schedules").json()}
    assert "alerts" in schedules
    alerts = schedules["alerts"]
    assert alerts["enabled"] is True
    assert alerts["actor"] == "alerts"
    assert len(alerts["next_runs"]) == 3
    assert alerts["next_runs"] == sorted(alerts["next_runs"])


def test_disable_and_enable_are_stored_and_listed(live_api: LiveApi) -> None:
    assert live_api.operator.post("/api/schedules/alerts/disable").json() == {
        "name": "alerts",
        "enabled": False,
    }
    listed = {s["name"]: s for s in live_api.viewer.get("/api/schedules").json()}["alerts"]
    assert listed["enabled"] is False
    assert listed["next_runs"] == []
    assert live_api.operator.post("/api/schedules/alerts/enable").json()["enabled"] is True
    listed = {s["name"]: s for s in live_api.viewer.get("/api/schedules").json()}["alerts"]
    assert len(listed["next_runs"]) == 3


def test_run_now_sends_the_job_and_counts_it(live_api: LiveApi) -> None:
    answer = live_api.operator.post("/api/schedules/alerts/run-now").json()
    assert answer["name"] == "alerts"
    assert live_api.job(answer["id"]).job_type == "alerts"
    listed = {s["name"]: s for s in live_api.viewer.get("/api/schedules").json()}["alerts"]
    assert listed["enqueued_count"] == 1
    assert listed["last_enqueued_at"] is not None


def test_an_unknown_schedule_is_a_404_naming_the_known_ones(sqlite_api: LiveApi) -> None:
    for action in ("enable", "disable", "run-now"):
        assert "alerts" in error_of(sqlite_api.operator.post(f"/api/schedules/nope/{action}"), 404)


def test_schedule_parameters_are_served_redacted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade(url)
    entry = {
        "name": "probe",
        "schedule": "every 5 minutes",
        "actor": "api_probe",
        "kwargs": {"password": SECRET, "source_url": f"https://u:{SECRET}@example.com/"},
    }
    with running_api(url, schedules=[entry]) as api:
        response = api.viewer.get("/api/schedules")
        probe = {s["name"]: s for s in response.json()}["probe"]
        assert probe["kwargs"]["password"] == "***"
        assert SECRET not in response.text
