"""Secrets never leave the API: a job with a password in its parameters, a URL with credentials and an
Authorization header in its error is served everywhere with those masked."""

from __future__ import annotations

import json

from tests.interfaces.api.conftest import LiveApi

PASSWORD = "pw-S3cr3t-4242"
URL_PASSWORD = "urlpass-9191"
QUERY_KEY = "qkey-7777"
SECRETS = (PASSWORD, URL_PASSWORD, QUERY_KEY)


def test_no_response_holds_a_secret_of_a_job(live_api: LiveApi) -> None:
    live_api.start_worker()
    source = f"https://alice:{URL_PASSWORD}@data.example.com/bars?api_key={QUERY_KEY}&day=1"
    dead = live_api.send_probe(password=PASSWORD, source_url=source, fail=True)
    live_api.wait_for_status(dead, "dead")
    pending = live_api.operator.post(
        "/api/enqueue/api_probe",
        params={"delay_seconds": 600},
        json={"password": PASSWORD, "source_url": source},
    ).json()["id"]
    live_api.flush()
    bodies = []
    for path in (
        "/api/jobs",
        f"/api/jobs/{dead}",
        f"/api/jobs/{pending}",
        f"/api/jobs?q={QUERY_KEY[:5]}",
        "/api/dead-letters",
        "/api/stats",
        "/api/queues",
        "/api/schedules",
    ):
        response = live_api.viewer.get(path)
        assert response.status_code == 200, (path, response.text)
        bodies.append(response.text)
    for action in ("cancel", "retry", "purge"):
        bodies.append(live_api.operator.post(f"/api/bulk/{action}", params={"job_type": "api_probe"}).text)
    with live_api.viewer.stream("GET", "/api/events", params={"job_id": dead}) as stream:
        for line in stream.iter_lines():
            bodies.append(line)
            if line.startswith("data:") and '"status"' in line and '"id"' in line:
                break
    everything = "\n".join(bodies)
    for secret in SECRETS:
        assert secret not in everything
    job = live_api.viewer.get(f"/api/jobs/{dead}").json()
    kwargs = job["parameters"]["kwargs"]
    assert kwargs["password"] == "***"
    assert kwargs["source_url"].startswith("https://alice:***@data.example.com/bars?api_key=***")
    assert "Bearer ***" in job["error"]
    assert "alice:***@" in job["traceback"]
    assert all(secret not in json.dumps(job) for secret in SECRETS)
    # the secrets are really stored: it is the API that masks them
    stored = live_api.job(dead)
    assert stored.parameters is not None
    assert stored.parameters["kwargs"]["password"] == PASSWORD


def test_a_secret_in_a_validation_error_is_not_echoed(live_api: LiveApi) -> None:
    response = live_api.operator.post(
        "/api/enqueue/api_probe",
        json={"password": PASSWORD, "unknown": f"https://bob:{URL_PASSWORD}@x.example.com/"},
    )
    assert response.status_code == 422
    for secret in SECRETS:
        assert secret not in response.text
