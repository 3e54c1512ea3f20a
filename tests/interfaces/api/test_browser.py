"""The operator page in a real browser: Debian's chromium driven by Selenium (Debian's chromium-driver),
against a real uvicorn serving the API on SQLite, with real in-process Dramatiq workers (``sqlite_api``).

Skipped when chromium or chromedriver is missing on a laptop; a failure when CI=true (``.ci/run`` installs
both with apt-get). On a failure, a screenshot of every page the test saw goes to ``var/test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from marketjobs import clock
from marketjobs.clock import now_ms
from marketjobs.store.queue_pauses import paused_queues
from marketjobs.store.workers import write_heartbeat
from scheduler.control import definitions_for, schedule_views
from tests.conftest import wait_until
from tests.interfaces.api.conftest import FAILING, OPERATOR_TOKEN, VIEWER_TOKEN, LiveApi
from tests.servers import require_tool

ROOT = Path(__file__).resolve().parents[3]
#: Where screenshots of a failed test's pages go.
ARTIFACTS = ROOT / "var" / "test-artifacts"
#: Seconds a page may take to show what a test waits for (live parts refresh every 1-3 s).
WAIT_SECONDS = 30
#: Seconds workers may take to notice a pause (marketjobs.brokers.pause.REFRESH_SECONDS, plus slack).
PAUSE_NOTICE_SECONDS = 3.0
#: What the page offers only to operators.
ACTIONS = "[hx-post], [data-bulk], [data-selected-post], [data-confirm-url]"

pytestmark = pytest.mark.timeout(240)


class Browser:
    """A chromium tab on the live API, remembering a screenshot of every page it showed."""

    def __init__(self, driver: webdriver.Chrome, api: LiveApi) -> None:
        self.driver = driver
        self.api = api
        self.shots: list[tuple[str, bytes]] = []

    def open(self, path: str) -> None:
        """Loads ``path`` and waits until its script (htmx) is ready."""
        self.driver.get(self.api.url + path)
        self.ready()

    def ready(self) -> None:
        """Waits for the page and htmx to load, then keeps a screenshot of it."""
        self.wait(
            lambda d: d.execute_script("return document.readyState === 'complete' && !!window.htmx"),
            "the page to load",
        )
        self.snap()

    def snap(self) -> None:
        """Keeps a screenshot of what the tab shows now."""
        name = re.sub(
            r"[^a-z0-9]+", "-", self.driver.current_url.split("//", 1)[-1].split("/", 1)[-1].lower()
        )
        self.shots.append((name.strip("-") or "overview", self.driver.get_screenshot_as_png()))

    def wait(self, condition: Callable[[Any], Any], what: str) -> Any:
        """Waits for ``condition(driver)`` to be truthy (ignoring elements replaced by a live refresh)."""
        return WebDriverWait(
            self.driver, WAIT_SECONDS, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]
        ).until(condition, f"waited {WAIT_SECONDS} s for {what}")

    def find(self, css: str) -> WebElement:
        """The element ``css`` names, once it is there."""
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css), css)  # type: ignore[no-any-return]

    def all(self, css: str) -> list[WebElement]:
        """Every element ``css`` names now."""
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click(self, css: str) -> None:
        """Clicks ``css``, again if a live refresh replaced it under the pointer."""

        def clicked(driver: Any) -> bool:
            driver.find_element(By.CSS_SELECTOR, css).click()
            return True

        self.wait(clicked, f"to click {css}")

    def text(self, css: str) -> str:
        """The text of ``css`` (waiting for it)."""
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css).text, css)  # type: ignore[no-any-return]

    def attribute_becomes(self, css: str, name: str, value: str) -> None:
        """Waits for ``css``'s attribute ``name`` to read ``value``."""
        self.wait(
            lambda d: d.find_element(By.CSS_SELECTOR, css).get_attribute(name) == value,
            f"{css}[{name}={value}]",
        )

    def login(self, token: str, then: str = "/") -> None:
        """Logs in through the form, as the page would be reached without a cookie."""
        self.driver.delete_all_cookies()
        self.open(then)
        assert "/login" in self.driver.current_url
        self.find("#token").send_keys(token)
        self.click("#login")
        self.wait(lambda d: "/login" not in d.current_url, "the login to go through")
        self.ready()

    def post(self, path: str) -> int:
        """The status of a POST to ``path`` sent by the page's script (with the page's cookie)."""
        script = (
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {method: 'POST', credentials: 'same-origin'})"
            ".then(r => done(r.status)).catch(e => done(String(e)));"
        )
        return int(self.driver.execute_async_script(script, path))


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    """Headless chromium (Debian's), shared by the module's tests; cookies are cleared by each login."""
    binary = require_tool("chromium", "chromium")
    chromedriver = require_tool("chromedriver", "chromium-driver")
    options = Options()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(argument)
    chrome = webdriver.Chrome(options=options, service=Service(chromedriver))
    chrome.set_script_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture
def browser(
    request: pytest.FixtureRequest, driver: webdriver.Chrome, sqlite_api: LiveApi
) -> Iterator[Browser]:
    """A tab on the live API; on a failure, a screenshot of each page the test saw and of the last state."""
    failed_before = request.session.testsfailed
    tab = Browser(driver, sqlite_api)
    yield tab
    if request.session.testsfailed > failed_before:
        folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(WebDriverException):
            tab.snap()
        for n, (name, png) in enumerate(tab.shots):
            (folder / f"{n:02d}-{name[:60]}.png").write_bytes(png)


def _dead_probe(api: LiveApi, note: str) -> str:
    job_id = api.send_probe(fail=True, note=note)
    api.wait_for_status(job_id, "dead")
    return job_id


def test_login_then_filter_jobs_by_status_and_parameters_and_open_one(browser: Browser) -> None:
    api = browser.api
    api.start_worker()
    done = {note: api.send_probe(note=note, password="hunter2") for note in ("AAPL daily", "MSFT weekly")}
    dead = _dead_probe(api, "TSLA broken feed")
    for job_id in done.values():
        api.wait_for_status(job_id, "completed")

    browser.login(OPERATOR_TOKEN, then="/jobs")
    assert browser.driver.current_url.endswith("/jobs")
    assert browser.driver.execute_script("return document.cookie") == "", "the token cookie must be HttpOnly"
    assert browser.text("#whoami").startswith("ops")

    browser.click("input[name=status][value=dead]")
    browser.click("#apply-filters")
    browser.ready()
    assert "status=dead" in browser.driver.current_url
    rows = browser.all("#jobs-table tr[data-job-id]")
    assert [r.get_attribute("data-job-id") for r in rows] == [dead]

    browser.open("/jobs")
    browser.find("#f-q").send_keys("msft")
    browser.click("#apply-filters")
    browser.ready()
    rows = browser.all("#jobs-table tr[data-job-id]")
    assert [r.get_attribute("data-job-id") for r in rows] == [done["MSFT weekly"]]

    browser.click(f"#jobs-table tr[data-job-id='{done['MSFT weekly']}'] a")
    browser.ready()
    assert browser.text("#job-status") == "completed"
    parameters = browser.text("#job-parameters")
    assert "MSFT weekly" in parameters
    assert "***" in parameters
    assert "hunter2" not in browser.driver.page_source

    # A bulk action counts first; nothing happens until it is confirmed.
    browser.open("/jobs?status=dead")
    browser.click("#bulk-retry")
    browser.find("#bulk-confirm")
    assert "1 job matches" in browser.text("#bulk-result")
    assert api.job(dead).retried_as is None


def test_retry_a_dead_letter_and_watch_it_complete(browser: Browser) -> None:
    api = browser.api
    worker = api.start_worker()
    dead = _dead_probe(api, "retry me")
    worker.stop()
    api.workers.remove(worker)
    FAILING.clear()  # the feed is fixed: the retry will pass

    browser.login(OPERATOR_TOKEN, then="/dead-letters")
    row = f"#dead-letters-table tr[data-job-id='{dead}']"
    assert "could not fetch" in browser.text(f"{row} .error-cell")
    assert "hunter2" not in browser.driver.page_source
    browser.click(f"{row} button.retry-one")
    new_id = browser.wait(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, f"{row} a.retried-as").get_attribute("href").rsplit("/", 1)[-1]
        ),
        "the row to link its retry",
    )
    assert api.job(dead).retried_as == new_id
    wait_until(lambda: api.job(new_id).status == "pending")

    browser.click(f"{row} a.retried-as")
    browser.ready()
    assert browser.text("#job-status") == "pending"
    assert browser.find("#retry-of").text == dead
    browser.driver.execute_script("window.stillTheSamePage = true")
    api.start_worker()
    browser.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#job-status").text == "completed", "completed")
    assert browser.driver.execute_script("return window.stillTheSamePage === true"), (
        "no reload: a live refresh"
    )
    assert browser.find("#job-progress progress").get_attribute("value") == "100"
    browser.snap()


def test_retry_ticked_dead_letters_then_purge_those_retried(browser: Browser) -> None:
    api = browser.api
    api.start_worker()
    dead = [_dead_probe(api, f"batch {n}") for n in range(3)]
    FAILING.clear()

    browser.login(OPERATOR_TOKEN, then="/dead-letters")
    for job_id in dead[:2]:
        browser.click(f"#dead-letters-table tr[data-job-id='{job_id}'] input[data-row]")
    browser.click("#retry-selected")
    for job_id in dead[:2]:
        browser.find(f"#dead-letters-table tr[data-job-id='{job_id}'] a.retried-as")
    assert api.job(dead[2]).retried_as is None
    for job_id in dead[:2]:
        api.wait_for_status(api.job(job_id).retried_as or "", "completed")

    browser.open("/dead-letters?retried=true")
    browser.click("#purge-matching")
    browser.find("#bulk-confirm")
    assert "2 jobs match" in browser.text("#dl-result")
    browser.click("#bulk-confirm")
    browser.wait(
        lambda d: not d.find_elements(By.CSS_SELECTOR, "#dead-letters-table tr[data-job-id]"), "purge"
    )
    remaining = api.operator.get("/api/dead-letters").json()["jobs"]
    assert [j["id"] for j in remaining] == [dead[2]]


def _schedule_enabled(api: LiveApi, name: str) -> bool:
    views = schedule_views(api.engine, definitions_for(api.settings, api.broker), clock.now())
    return bool(next(v for v in views if v["name"] == name)["enabled"])


def test_toggle_a_schedule_and_run_it_now(browser: Browser) -> None:
    api = browser.api
    browser.login(OPERATOR_TOKEN, then="/schedules")
    first = browser.find("#schedules-table tr[data-schedule][data-enabled=true]")
    name = first.get_attribute("data-schedule")
    row = f"#schedules-table tr[data-schedule='{name}']"

    browser.click(f"{row} button[data-schedule-action=disable]")
    browser.attribute_becomes(row, "data-enabled", "false")
    assert not _schedule_enabled(api, name)
    assert browser.text(f"{row} td:nth-child(6)") == "-", "a disabled schedule has no next runs"

    browser.click(f"{row} button[data-schedule-action=enable]")
    browser.attribute_becomes(row, "data-enabled", "true")
    assert _schedule_enabled(api, name)

    actor = browser.text(f"{row} td:nth-child(3)")
    before = api.operator.get("/api/jobs", params={"job_type": actor}).json()["jobs"]
    browser.click(f"{row} button[data-schedule-action=run-now]")
    browser.wait(lambda d: "job sent" in d.find_element(By.ID, "flash").text, "the run-now note")
    api.flush()
    after = api.operator.get("/api/jobs", params={"job_type": actor}).json()["jobs"]
    assert len(after) == len(before) + 1
    browser.snap()


def test_pause_holds_the_queues_jobs_until_resumed(browser: Browser) -> None:
    api = browser.api
    api.start_worker()
    warmup = api.send_probe(note="before the pause")
    api.wait_for_status(warmup, "completed")
    queue = api.job(warmup).queue

    browser.login(OPERATOR_TOKEN, then="/queues")
    row = f"#queues-table tr[data-queue='{queue}']"
    browser.click(f"{row} button[data-queue-action=pause]")
    browser.attribute_becomes(row, "data-paused", "true")
    assert paused_queues(api.engine)[queue].paused_by == "ops"
    assert "paused by ops" in browser.text(row)

    time.sleep(PAUSE_NOTICE_SECONDS)  # every worker re-reads the pauses every 2 s
    held = api.send_probe(note="sent while paused")
    time.sleep(PAUSE_NOTICE_SECONDS)
    assert api.job(held).status == "pending", "a paused queue's job must wait"
    browser.wait(lambda d: d.find_element(By.CSS_SELECTOR, f"{row} td:nth-child(2)").text == "1", "1 ready")
    browser.snap()

    browser.click(f"{row} button[data-queue-action=resume]")
    browser.attribute_becomes(row, "data-paused", "false")
    assert queue not in paused_queues(api.engine)
    api.wait_for_status(held, "completed")


def test_viewer_sees_no_action_buttons_and_the_api_refuses_their_posts(browser: Browser) -> None:
    api = browser.api
    api.start_worker()
    dead = _dead_probe(api, "viewer looks")
    queue = api.job(dead).queue
    now = now_ms()
    stale = {"id": "gone-host:4242:1", "hostname": "gone-host", "pid": 4242, "parent_pid": None}
    stale |= {"pool": "default", "queues": [queue], "threads": 2, "started_at": now - 600_000}
    stale |= {"heartbeat_at": now - 300_000, "jobs_processed": 7, "jobs_failed": 1, "current_jobs": []}
    write_heartbeat(api.engine, stale | {"rss_bytes": 50 << 20, "version": "test", "state": "running"})

    browser.login(VIEWER_TOKEN)
    assert browser.text("#whoami") == "watcher · viewer"
    for path in ("/", "/jobs", f"/jobs/{dead}", "/dead-letters", "/queues", "/schedules", "/workers"):
        browser.open(path)
        assert browser.all(ACTIONS) == [], f"{path} offers a viewer an action"
        assert browser.all("#bulk-actions, #dead-letter-actions") == []
    assert browser.all("#workers-table tr.lost[data-worker-id='gone-host:4242:1']"), (
        "a lost worker stands out"
    )

    for path in (
        f"/api/dead-letters/{dead}/retry",
        f"/api/queues/{queue}/pause",
        "/api/bulk/cancel?dry_run=false",
    ):
        assert browser.post(path) == 403, path
    assert api.job(dead).retried_as is None
    assert queue not in paused_queues(api.engine)
    # The same cookie may read.
    browser.driver.get(api.url + "/api/whoami")
    assert '"role":"viewer"' in browser.driver.page_source.replace(" ", "")


def test_pages_redirect_to_the_login_form_and_refuse_a_bad_token(browser: Browser) -> None:
    browser.driver.delete_all_cookies()
    browser.open("/queues")
    assert "/login?next=%2Fqueues" in browser.driver.current_url
    browser.find("#token").send_keys("not-a-token")
    browser.click("#login")
    assert "not valid" in browser.text("#login-error")
    browser.find("#token").send_keys(OPERATOR_TOKEN)
    browser.click("#login")
    browser.wait(lambda d: d.current_url.endswith("/queues"), "the page asked for first")
    browser.ready()
    browser.click("form[action='/logout'] button")
    browser.wait(lambda d: "/login" in d.current_url, "the login form")
    browser.open("/jobs")
    assert "/login" in browser.driver.current_url
