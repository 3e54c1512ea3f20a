"""Tokens and roles on the live API: nothing but the health probes is open, a viewer reads but never acts,
tokens are compared in constant time."""

from __future__ import annotations

import hmac
import re
import uuid
from typing import Any

import pytest

from interfaces.api import auth
from interfaces.api.auth import COOKIE_NAME
from tests.interfaces.api.conftest import OPERATOR_TOKEN, VIEWER_TOKEN, LiveApi

#: Paths served without a token.
OPEN = {"/healthz", "/readyz"}
#: A value for each path parameter.
PATH_VALUES = {"job_id": str(uuid.uuid4()), "queue": "maintenance", "name": "alerts", "action": "cancel"}


def api_routes(api: LiveApi, method: str) -> list[str]:
    """Every path of the app's OpenAPI schema (and the schema and its docs page) answering ``method``,
    with its parameters filled in."""
    paths = api.app.openapi()["paths"]
    found = [path.format(**PATH_VALUES) for path, item in paths.items() if method.lower() in item]
    if method == "GET":
        found += ["/openapi.json", "/docs"]
    return sorted(found)


def test_every_route_but_the_health_probes_needs_a_token(live_api: LiveApi) -> None:
    paths = [(m, p) for m in ("GET", "POST") for p in api_routes(live_api, m)]
    assert len(paths) > 30
    for method, path in paths:
        response = live_api.anonymous.request(method, path, json={})
        if path in OPEN:
            assert response.status_code == 200, (path, response.text)
        else:
            assert response.status_code == 401, (method, path, response.text)
            assert "Bearer" in response.json()["error"]
            assert response.headers["www-authenticate"] == "Bearer"


def test_a_wrong_token_is_refused_and_the_page_cookie_is_accepted(live_api: LiveApi) -> None:
    wrong = live_api.anonymous.get("/api/whoami", headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401
    cookie = live_api.anonymous.get("/api/whoami", headers={"Cookie": f"{COOKIE_NAME}={VIEWER_TOKEN}"})
    assert cookie.json() == {"name": "watcher", "role": "viewer", "can_act": False}


def test_whoami_names_the_token_and_whether_it_may_act(live_api: LiveApi) -> None:
    assert live_api.operator.get("/api/whoami").json() == {"name": "ops", "role": "operator", "can_act": True}
    assert live_api.viewer.get("/api/whoami").json() == {
        "name": "watcher",
        "role": "viewer",
        "can_act": False,
    }


def test_a_viewer_is_refused_every_mutating_route_and_nothing_changes(live_api: LiveApi) -> None:
    job_id = live_api.send_probe()
    live_api.flush()
    posts = api_routes(live_api, "POST")
    assert {"/api/queues/maintenance/pause", "/api/bulk/cancel", "/api/enqueue/api_probe"} <= set(posts)
    for path in [*posts, f"/api/jobs/{job_id}/cancel", "/api/bulk/cancel?dry_run=false"]:
        response = live_api.viewer.post(path, json={})
        assert response.status_code == 403, (path, response.text)
        assert "operator" in response.json()["error"]
    assert not live_api.job(job_id).cancel_requested
    assert live_api.operator.get("/api/queues").json()[0]["paused"] is False
    assert live_api.operator.get("/api/jobs").json()["jobs"][0]["id"] == job_id  # nothing was enqueued


def test_a_viewer_reads_every_listing(live_api: LiveApi) -> None:
    for path in api_routes(live_api, "GET"):
        if "{" in path or path == "/api/events":
            continue
        response = live_api.viewer.get(path)
        assert response.status_code in (200, 404), (path, response.text)


def test_tokens_are_compared_in_constant_time_against_every_token(
    live_api: LiveApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # auth calls hmac.compare_digest
    assert live_api.operator.get("/api/whoami").status_code == 200
    # both configured tokens are compared, the matching one first: no early exit that timing could reveal
    assert [b for _, b in compared] == [auth.hash_token(OPERATOR_TOKEN), auth.hash_token(VIEWER_TOKEN)]
    assert all(a == auth.hash_token(OPERATOR_TOKEN) for a, _ in compared)


def test_the_schema_and_docs_need_a_viewer_token(live_api: LiveApi) -> None:
    assert live_api.anonymous.get("/openapi.json").status_code == 401
    schema = live_api.viewer.get("/openapi.json").json()
    assert "/api/enqueue/api_probe" in schema["paths"]
    page = live_api.viewer.get("/docs").text
    assert "swagger" in page.lower()
    assets = re.findall(r'(?:src|href|url)\s*[=:]\s*["\']([^"\']+)["\']', page)
    assert assets
    assert all(a.startswith("/") for a in assets), assets  # Swagger UI from the package, no CDN
