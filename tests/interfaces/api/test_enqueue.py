"""``POST /api/enqueue/<job type>``: one route per job type, its parameter model as the body."""

from __future__ import annotations

from tests.interfaces.api.conftest import LiveApi, error_of


def test_each_job_type_with_a_model_has_a_route_whose_body_is_that_model(sqlite_api: LiveApi) -> None:
    schema = sqlite_api.viewer.get("/openapi.json").json()
    for job_type in (
        "data_import",
        "price_update",
        "technical_analysis",
        "alerts",
        "maintenance",
        "api_probe",
    ):
        body = schema["paths"][f"/api/enqueue/{job_type}"]["post"]["requestBody"]
        ref = body["content"]["application/json"]["schema"]["$ref"]
        assert ref.rsplit("/", 1)[1] in schema["components"]["schemas"]
    assert "/api/enqueue/api_crawl" not in schema["paths"]  # no params model: no route
    assert "ProbeParams" in schema["components"]["schemas"]


def test_a_job_is_sent_with_priority_delay_and_idempotency_key(live_api: LiveApi) -> None:
    answer = live_api.operator.post(
        "/api/enqueue/api_probe",
        params={"priority": "high", "delay_seconds": 60, "idempotency_key": "once-only"},
        json={"note": "later"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["job_type"] == "api_probe"
    assert body["queue"] == "default"
    job = live_api.job(body["id"])
    assert job.priority == "high"
    assert job.idempotency_key == "once-only"
    assert job.eta is not None
    assert job.eta - job.created_at >= 59_000
    assert job.parameters is not None
    assert job.parameters["kwargs"] == {"note": "later"}
    again = live_api.operator.post("/api/enqueue/api_probe", params={"idempotency_key": "once-only"}, json={})
    assert "once-only" in error_of(again, 409)


def test_bad_parameters_are_a_422_naming_each_problem(sqlite_api: LiveApi) -> None:
    response = sqlite_api.operator.post("/api/enqueue/api_probe", json={"fail": "maybe", "colour": "red"})
    message = error_of(response, 422)
    assert "fail" in message
    assert "colour" in message
    assert len(response.json()["problems"]) == 2
    assert "priority" in error_of(
        sqlite_api.operator.post("/api/enqueue/api_probe", params={"priority": "urgent"}, json={}), 422
    )
    assert error_of(sqlite_api.operator.post("/api/enqueue/api_probe", content=b"{not json"), 422)
    too_late = sqlite_api.operator.post("/api/enqueue/api_probe", params={"delay_seconds": 10**9}, json={})
    assert "delay_seconds" in error_of(too_late, 422)


def test_an_unknown_job_type_is_a_404(sqlite_api: LiveApi) -> None:
    assert error_of(sqlite_api.operator.post("/api/enqueue/no_such_type", json={}), 404)


def test_a_product_job_type_validates_with_its_own_model(sqlite_api: LiveApi) -> None:
    bad = sqlite_api.operator.post("/api/enqueue/data_import", json={})
    assert "path" in error_of(bad, 422)
