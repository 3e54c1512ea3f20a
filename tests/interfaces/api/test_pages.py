"""The operator page over HTTP without a browser, on SQLite and PostgreSQL (the browser tests drive it in
chromium on SQLite): login and redirects, every page for an operator and a viewer, redaction, bad filters,
and that every button posts to a route of the JSON API."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest

from interfaces.api.auth import COOKIE_NAME
from tests.interfaces.api.conftest import FAILING, OPERATOR_TOKEN, LiveApi

#: Every page (``{dead}`` is a dead job's id).
PAGES = ["/", "/jobs", "/jobs/{dead}", "/dead-letters", "/queues", "/schedules", "/workers"]
#: Their live parts (what htmx polls).
FRAGMENTS = ["/overview/live", "/jobs/rows", "/jobs/{dead}/live", "/dead-letters/rows", "/queues/rows"]
FRAGMENTS += ["/schedules/rows", "/workers/rows"]
#: Attributes of the page that name an API route to POST to.
ACTION_ATTRIBUTES = re.compile(r'(?:hx-post|data-bulk|data-selected-post)="([^"]+)"')


@pytest.fixture
def dead(live_api: LiveApi) -> str:
    """A dead job whose parameters hold a password."""
    live_api.start_worker()
    job_id = live_api.send_probe(fail=True, password="hunter2", note="page probe")
    live_api.wait_for_status(job_id, "dead")
    FAILING.clear()
    return job_id


def test_pages_send_a_visitor_without_a_token_to_the_login_form(live_api: LiveApi, dead: str) -> None:
    for path in [p.format(dead=dead) for p in PAGES + FRAGMENTS]:
        response = live_api.anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=%2F"), path
    form = live_api.anonymous.get("/login")
    assert form.status_code == 200
    assert 'name="token"' in form.text


def test_login_sets_a_strict_httponly_cookie_and_goes_back_only_to_this_site(live_api: LiveApi) -> None:
    client = live_api.anonymous
    refused = client.post("/login", data={"token": "nope", "next": "/queues"}, follow_redirects=False)
    assert refused.status_code == 401
    assert "not valid" in refused.text
    assert COOKIE_NAME not in refused.headers.get("set-cookie", "")

    for target, expected in (("/queues?x=1", "/queues?x=1"), ("//evil.example/", "/"), ("https://e.x", "/")):
        response = client.post(
            "/login", data={"token": OPERATOR_TOKEN, "next": target}, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == expected
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE_NAME}={OPERATOR_TOKEN};")
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Path=/" in cookie

    logout = client.post("/logout", follow_redirects=False)
    assert logout.status_code == 303
    assert f'{COOKIE_NAME}="";' in logout.headers["set-cookie"] or "Max-Age=0" in logout.headers["set-cookie"]


def test_every_page_renders_for_an_operator_with_actions_that_are_api_routes(
    live_api: LiveApi, dead: str
) -> None:
    posts = {path for path, item in live_api.app.openapi()["paths"].items() if "post" in item}
    patterns = [re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$") for path in posts]
    seen: set[str] = set()
    for path in [p.format(dead=dead) for p in PAGES + FRAGMENTS]:
        response = live_api.operator.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"
        for url in ACTION_ATTRIBUTES.findall(response.text):
            target = urlsplit(url.replace("&amp;", "&")).path
            assert any(p.match(target) for p in patterns), f"{path} posts to {target}, not an API route"
            seen.add(re.sub(r"/[0-9a-f-]{36}/", "/{id}/", target))
    assert {"/api/dead-letters/{id}/retry", "/api/jobs/{id}/retry", "/api/dead-letters/retry"} <= seen
    assert {"/api/bulk/cancel", "/api/bulk/purge", "/api/dead-letters/purge"} <= seen
    assert any(s.startswith("/api/queues/") for s in seen)
    assert any(s.startswith("/api/schedules/") for s in seen)


def test_a_viewer_gets_every_page_without_a_single_action(live_api: LiveApi, dead: str) -> None:
    for path in [p.format(dead=dead) for p in PAGES + FRAGMENTS]:
        response = live_api.viewer.get(path)
        assert response.status_code == 200, path
        assert not ACTION_ATTRIBUTES.findall(response.text), f"{path} offers a viewer an action"


def test_pages_never_show_a_secret(live_api: LiveApi, dead: str) -> None:
    job = live_api.operator.get(f"/jobs/{dead}")
    assert "page probe" in job.text
    assert "***" in job.text
    listing = live_api.operator.get("/jobs", params={"q": "page probe"})
    assert dead in listing.text
    for response in (job, listing, live_api.operator.get("/dead-letters")):
        assert "hunter2" not in response.text


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"status": "lost"}, "status: unknown"),
        ({"since": "yesterday"}, "is not a date-time"),
        ({"cursor": "!!not-ours!!"}, "cursor is not one this API returned"),
        ({"priority": "urgent"}, "priority: unknown"),
    ],
)
def test_a_bad_filter_is_explained_on_the_page_not_a_500(
    live_api: LiveApi, query: dict[str, str], problem: str
) -> None:
    response = live_api.operator.get("/jobs", params=query)
    assert response.status_code == 200
    assert problem in response.text


def test_an_unknown_job_is_a_404_page(live_api: LiveApi) -> None:
    response = live_api.operator.get("/jobs/no-such-job")
    assert response.status_code == 404
    assert "There is no job no-such-job" in response.text


def test_static_assets_are_served_from_the_package(live_api: LiveApi) -> None:
    client = httpx.Client(base_url=live_api.url)
    for path, kind in (("htmx.min.js", "javascript"), ("page.js", "javascript"), ("page.css", "text/css")):
        response = client.get(f"/static/{path}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
    client.close()
