"""Live: a real Prometheus, loaded with the shipped scrape config and rules, scrapes a real ``marketjobs
exporter`` and real worker processes running real jobs (completions, failures, retries, dead letters, a
long-running job, a scheduler tick, price updates writing bars, domain metrics). Every dashboard panel's
query, with its variables resolved, returns finite series; every rule evaluates without error; the
dead-letter alert goes pending."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import yaml

from marketjobs.brokers import broker_from_url
from marketjobs.config import configure
from marketjobs.jobs.cancel import request_cancel
from marketjobs.store.engine import create_store_engine
from scheduler.defaults import ScheduleDefinition
from scheduler.leader import StubLease
from scheduler.runner import BrokerEnqueuer, Scheduler
from tests.conftest import fast_settings, records_of, wait_until
from tests.monitoring.dashboards import dashboards, panels, resolve
from tests.services import free_port, require_tool

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO / "monitoring" / "prometheus"
#: Seconds between scrapes and between rule evaluations.
INTERVAL_SECONDS = 1
#: What ``$__rate_interval`` resolves to: longer than the whole test, so every rate sees both waves.
RATE_INTERVAL = "5m"
QUEUES = ("diagnostics", "price_update", "live")


@dataclass
class Deployment:
    """The live system: Prometheus' URL, a sending broker with the actors' names, a scheduler."""

    url: str
    broker: dramatiq.Broker
    scheduler: Scheduler
    clock: list[datetime]
    actors: dict[str, dramatiq.Actor[Any, Any]] = field(default_factory=dict)

    def send(self, name: str, **kwargs: Any) -> dramatiq.Message[Any]:
        return self.actors[name].send(**kwargs)

    def tick(self) -> None:
        """Moves the scheduler's clock 1 s past the next minute and lets it enqueue that (on-time) tick."""
        self.clock[0] = self.clock[0].replace(second=0, microsecond=0) + timedelta(seconds=61)
        assert self.scheduler.run_once() == 1


def query(url: str, expr: str) -> list[dict[str, Any]]:
    params = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{url}/api/v1/query?{params}", timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def api(url: str, path: str) -> Any:
    with urllib.request.urlopen(f"{url}/api/v1/{path}", timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return body["data"]


def values(url: str, expr: str, *labels: str) -> dict[tuple[str, ...], float]:
    """``expr``'s series as label values -> value; empty while Prometheus is unreachable."""
    try:
        result = query(url, expr)
    except OSError:
        return {}
    return {tuple(s["metric"].get(label, "") for label in labels): float(s["value"][1]) for s in result}


def _start(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def _prometheus_config(tmp_path: Path, exporter_port: int, worker_port: int) -> Path:
    """The shipped prometheus.yml with 1 s intervals, the shipped rules and this test's targets."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"] = {
        "scrape_interval": f"{INTERVAL_SECONDS}s",
        "evaluation_interval": f"{INTERVAL_SECONDS}s",
    }
    config["rule_files"] = [str(PROMETHEUS_DIR / rules) for rules in config["rule_files"]]
    ports = {"marketjobs-exporter": exporter_port, "marketjobs-workers": worker_port}
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [f"127.0.0.1:{ports[job['job_name']]}"]}]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def deployment(sqlite_url: str, tmp_path: Path) -> Iterator[Deployment]:
    binary = require_tool("prometheus")
    exporter_port, worker_port, prometheus_port = free_port(), free_port(), free_port()
    multiproc = tmp_path / "worker-metrics"
    multiproc.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "MARKETJOBS_BROKER_URL": sqlite_url,
        "MARKETJOBS_DATABASE_URL": sqlite_url,
        "MARKETJOBS_METRICS_PORT": str(worker_port),
        "MARKETJOBS_RECORDS_FLUSH_SECONDS": "0.05",
        "MARKETJOBS_CANCEL_POLL_SECONDS": "0.1",
    }
    settings = fast_settings(sqlite_url, sqlite_url)
    configure(settings)
    broker = broker_from_url(sqlite_url, settings=settings)
    names = {"noop": "diagnostics", "fail": "diagnostics", "sleep": "diagnostics"}
    names |= {"price_update": "price_update", "domain_metrics": "live", "waiting": "idle"}
    # The sender only needs each actor's name and queue: the workers run the real ones.
    stand_ins = {
        name: dramatiq.actor(actor_name=name, queue_name=queue, broker=broker)(lambda **_: None)
        for name, queue in names.items()
    }
    clock = [(datetime.now(UTC) - timedelta(minutes=3)).replace(second=1, microsecond=0)]
    scheduler = Scheduler(
        create_store_engine(sqlite_url),
        [ScheduleDefinition(name="live-noop", spelling="every minute", actor="noop", missed="run_once")],
        BrokerEnqueuer(broker),
        StubLease(holder="live-test", ttl_seconds=60),
        clock=lambda: clock[0],
    )
    processes = [
        _start(
            [
                sys.executable,
                "-m",
                "dramatiq",
                "tests.monitoring.live_actors",
                "-p",
                "2",
                "-t",
                "2",
                "--queues",
                *QUEUES,
            ],
            {**env, "PROMETHEUS_MULTIPROC_DIR": str(multiproc)},
            tmp_path,
        ),
        _start(
            [sys.executable, "-m", "marketjobs", "exporter", "--port", str(exporter_port)]
            + [arg for queue in (*QUEUES, "idle") for arg in ("--queue", queue)],
            env,
            tmp_path,
        ),
        _start(
            [
                binary,
                f"--config.file={_prometheus_config(tmp_path, exporter_port, worker_port)}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            env,
            tmp_path,
        ),
    ]
    url = f"http://127.0.0.1:{prometheus_port}"
    try:
        wait_until(
            lambda: set(values(url, "up == 1", "job")) == {("marketjobs-exporter",), ("marketjobs-workers",)},
            timeout=90,
            interval=0.5,
        )
        yield Deployment(url, broker, scheduler, clock, stand_ins)
    finally:
        for process in processes:
            _stop(process)
        broker.close()
        configure(None)


def _wave(deployment: Deployment) -> None:
    for _ in range(5):
        deployment.send("noop")
    deployment.send("fail", reason="live test")  # retried twice, then a dead letter
    start = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    options = {"interval": "1h", "bars": 3, "start": start}
    deployment.send("price_update", symbols=["AAPL", "MSFT"], source="synthetic", options=options)
    deployment.send(
        "domain_metrics", rows=5000, signals={"rsi_oversold": 2, "macd_cross": 1}, delivered=3, failed=1
    )
    deployment.tick()


def _seen(deployment: Deployment, waves: int) -> bool:
    """Whether Prometheus has scraped everything ``waves`` waves did."""
    url = deployment.url
    jobs = values(url, "sum by (actor_name, outcome) (marketjobs_jobs_total)", "actor_name", "outcome")
    expected = {
        ("noop", "completed"): 6 * waves,  # 5 sent and one scheduler tick
        ("fail", "failed"): 3 * waves,
        ("price_update", "completed"): waves,
        ("domain_metrics", "completed"): waves,
    }
    dead = values(url, 'marketjobs_dead_letters{job_type="fail"}', "job_type")
    enqueued = values(url, "marketjobs_schedule_enqueued_total", "schedule")
    return (
        all(jobs.get(key, 0) >= count for key, count in expected.items())
        and dead.get(("fail",)) == waves
        and enqueued.get(("live-noop",)) == waves
        and bool(values(url, "marketjobs_oldest_running_job_age_seconds", "job_type"))
    )


@pytest.mark.timeout(300)
def test_dashboards_rules_and_the_dead_letter_alert_work_against_real_workers(deployment: Deployment) -> None:
    url = deployment.url
    # A job that runs for the whole test: the running-job and time-limit panels show it.
    long_job = deployment.send("sleep", seconds=600, steps=6000)
    # No worker serves "idle": a pending job and a delayed one.
    deployment.send("waiting")
    deployment.actors["waiting"].send_with_options(delay=600_000)
    try:
        # Two waves, each scraped before the next: every counter and histogram has grown between scrapes,
        # so rates, ratios and quantiles are defined; the second wave's dead letter is a new one.
        _wave(deployment)
        records_of(deployment.broker).flush()
        wait_until(lambda: _seen(deployment, 1), timeout=120, interval=0.5)
        _wave(deployment)
        wait_until(lambda: _seen(deployment, 2), timeout=120, interval=0.5)

        checked = 0
        for _, model in dashboards():
            for panel in panels(model):
                for target in panel.get("targets", []):
                    expr = resolve(target["expr"], RATE_INTERVAL)
                    result = query(url, expr)
                    assert result, f"panel {panel['title']!r} returned no series for {expr}"
                    for series in result:
                        value = float(series["value"][1])
                        assert math.isfinite(value), (
                            f"panel {panel['title']!r}: {value} for {series['metric']}"
                        )
                    checked += 1
        assert checked >= 40

        def dead_letter_alert() -> set[str]:
            alerts = api(url, "alerts")["alerts"]
            return {
                a["state"]
                for a in alerts
                if a["labels"]["alertname"] == "MarketjobsDeadLettersGrowing"
                and a["labels"].get("job_type") == "fail"
            }

        wait_until(lambda: bool(dead_letter_alert() & {"pending", "firing"}), timeout=30, interval=0.25)

        rules_file = yaml.safe_load((PROMETHEUS_DIR / "rules" / "marketjobs.rules.yml").read_text())
        shipped = sum(len(group["rules"]) for group in rules_file["groups"])

        def evaluated() -> list[dict[str, Any]]:
            rules = [rule for group in api(url, "rules")["groups"] for rule in group["rules"]]
            return rules if all(rule["health"] != "unknown" for rule in rules) else []

        wait_until(lambda: bool(evaluated()), timeout=30, interval=0.25)
        rules = evaluated()
        assert len(rules) == shipped
        broken = {rule["name"]: rule.get("lastError") for rule in rules if rule["health"] != "ok"}
        assert not broken, broken
    finally:
        request_cancel(
            create_store_engine(records_of(deployment.broker).settings.database_url), long_job.message_id
        )
