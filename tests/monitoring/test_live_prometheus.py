"""Live: a real Prometheus, loaded with the shipped scrape config and rules, scrapes a real ``marketjobs
exporter`` and real worker processes running real jobs (completions, failures, retries, dead letters, a
long-running job, a scheduler tick, price updates writing bars, domain metrics). Every dashboard panel's
query, with its variables resolved, returns finite series; every rule evaluates without error; the
dead-letter alert goes pending."""

from __future__ import annotations

import math
import os
import re
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import yaml

from marketjobs.config import configure
from marketjobs.jobs.broker import broker_from_url
from marketjobs.jobs.cancel import request_cancel
from marketjobs.notify.rules import add_rule
from marketjobs.store.engine import create_store_engine
from monitoring.worker import WorkerMetrics
from scheduler.definitions import ScheduleDefinition
from scheduler.leader import StubLease
from scheduler.runner import BrokerEnqueuer, Scheduler
from tests.conftest import fast_settings, records_of, wait_until
from tests.monitoring.dashboards import dashboards, panels, resolve
from tests.monitoring.live import (
    PROMETHEUS_DIR,
    REPO,
    api,
    prometheus_config,
    query,
    start_process,
    stop_process,
    values,
)
from tests.servers import free_port, require_tool

#: What ``$__rate_interval`` resolves to: longer than the whole test, so every rate sees both waves.
RATE_INTERVAL = "5m"
QUEUES = ("diagnostics", "price_update", "analysis", "alerts", "live")
#: A dashboard variable's query: Grafana's label_values(selector, label).
LABEL_VALUES = re.compile(r"label_values\((.+),\s*(\w+)\)")


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
        "MARKETJOBS_MIN_BACKOFF_SECONDS": "0.1",
        "MARKETJOBS_MAX_BACKOFF_SECONDS": "0.5",
    }
    settings = fast_settings(sqlite_url, sqlite_url)
    configure(settings)
    broker = broker_from_url(sqlite_url, settings=settings, middleware=[WorkerMetrics()])
    names = {"noop": "diagnostics", "fail": "diagnostics", "sleep": "diagnostics"}
    names |= {"price_update": "price_update", "technical_analysis": "analysis", "alerts": "alerts"}
    names |= {"signals": "live", "waiting": "idle"}
    # The sender only needs each actor's name and queue: the workers run the real ones.
    stand_ins = {
        name: dramatiq.actor(actor_name=name, queue_name=queue, broker=broker)(lambda **_: None)
        for name, queue in names.items()
    }
    # Alert rules that fire on every new bar: one delivered to the log, one to a webhook nobody serves.
    engine = create_store_engine(sqlite_url)
    level = {"level": 0}
    add_rule(engine, name="live-log", symbol="AAPL", rule_type="price_above", params=level, sinks=["log"])
    add_rule(
        engine,
        name="live-webhook",
        symbol="MSFT",
        rule_type="price_above",
        params=level,
        sinks=["webhook"],
        webhook_url=f"http://127.0.0.1:{free_port()}/hook",
    )
    clock = [(datetime.now(UTC) - timedelta(minutes=3)).replace(second=1, microsecond=0)]
    scheduler = Scheduler(
        engine,
        [ScheduleDefinition(name="live-noop", spelling="every minute", actor="noop", missed="run_once")],
        BrokerEnqueuer(broker),
        StubLease(holder="live-test", ttl_seconds=60),
        clock=lambda: clock[0],
    )
    processes = [
        start_process(
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
        start_process(
            # No --queue: the exporter imports the actors package for its queues and time limits.
            [sys.executable, "-m", "marketjobs", "exporter", "--port", str(exporter_port)],
            env,
            tmp_path,
        ),
        start_process(
            [
                binary,
                f"--config.file={prometheus_config(tmp_path, exporter_port, worker_port)}",
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
            stop_process(process)
        broker.close()
        configure(None)


def _wave(deployment: Deployment) -> None:
    for _ in range(5):
        deployment.send("noop")
    deployment.send("fail", reason="live test")  # retried twice, then a dead letter
    # The product's pipeline: new bars, then indicators and signals, then alerts (one delivery fails, so the
    # alerts job is retried and ends as a dead letter).
    start = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    options = {"interval": "1h", "bars": 40, "start": start}
    symbols = ["AAPL", "MSFT"]
    steps: list[tuple[str, dict[str, Any]]] = [
        ("price_update", {"symbols": symbols, "source": "synthetic", "options": options}),
        ("technical_analysis", {"symbols": symbols, "indicators": ["RSI_14", "SMA_20"], "patterns": None}),
        ("alerts", {}),
    ]
    actors = deployment.actors
    messages = [actors[name].message_with_options(kwargs=kwargs, pipe_ignore=True) for name, kwargs in steps]
    dramatiq.pipeline(messages, broker=deployment.broker).run()  # type: ignore[no-untyped-call]
    deployment.send("signals", counts={"live_test": 1})
    deployment.tick()


def _seen(deployment: Deployment, waves: int) -> bool:
    """Whether Prometheus has scraped everything ``waves`` waves did."""
    url = deployment.url
    jobs = values(url, "sum by (actor_name, outcome) (marketjobs_jobs_total)", "actor_name", "outcome")
    expected = {
        ("noop", "completed"): 6 * waves,  # 5 sent and one scheduler tick
        ("fail", "failed"): 3 * waves,
        ("price_update", "completed"): waves,
        ("technical_analysis", "completed"): waves,
        ("alerts", "failed"): waves,
        ("signals", "completed"): waves,
    }
    fired = values(url, "sum by (sink) (marketjobs_alerts_fired_total)", "sink")
    failures = values(url, "sum by (sink) (marketjobs_alert_delivery_failures_total)", "sink")
    dead = values(url, 'marketjobs_dead_letters{job_type="fail"}', "job_type")
    enqueued = values(url, "marketjobs_schedule_enqueued_total", "schedule")
    return (
        all(jobs.get(key, 0) >= count for key, count in expected.items())
        and dead.get(("fail",)) == waves
        and enqueued.get(("live-noop",)) == waves
        and fired.get(("log",), 0) >= waves
        and failures.get(("webhook",), 0) >= waves
        and bool(values(url, "marketjobs_oldest_running_job_age_seconds", "job_type"))
        # diagnostics.sleep's own limit, not the default's 600 s: the exporter read the actors' limits.
        and values(url, "marketjobs_job_time_limit_seconds", "job_type").get(("sleep",)) == 3600
    )


def _check_panels(url: str) -> int:
    """Every panel query, variables resolved, returns finite series; returns how many were checked."""
    checked = 0
    for _, model in dashboards():
        for panel in panels(model):
            for target in panel.get("targets", []):
                expr = resolve(target["expr"], RATE_INTERVAL)
                result = query(url, expr)
                assert result, f"panel {panel['title']!r} returned no series for {expr}"
                for series in result:
                    value = float(series["value"][1])
                    assert math.isfinite(value), f"panel {panel['title']!r}: {value} for {series['metric']}"
                checked += 1
    return checked


def _check_variables(url: str) -> None:
    """Every query variable is Grafana's label_values(selector, label) and has values."""
    for _, model in dashboards():
        for variable in (v for v in model["templating"]["list"] if v["type"] == "query"):
            name = f"{model['uid']}: variable {variable['name']}"
            match = LABEL_VALUES.fullmatch(resolve(variable["definition"], RATE_INTERVAL))
            assert match, f"{name} is not label_values(selector, label)"
            selector, label = match.groups()
            found = api(url, f"label/{label}/values?" + urllib.parse.urlencode({"match[]": selector}))
            assert found, f"{name} has no values"


def _dead_letter_alert_states(url: str) -> set[str]:
    return {
        alert["state"]
        for alert in api(url, "alerts")["alerts"]
        if alert["labels"]["alertname"] == "MarketjobsDeadLettersGrowing"
        and alert["labels"].get("job_type") == "fail"
    }


def _evaluated_rules(url: str) -> list[dict[str, Any]]:
    """Every loaded rule once each has been evaluated, else []."""
    rules = [rule for group in api(url, "rules")["groups"] for rule in group["rules"]]
    return rules if all(rule["health"] != "unknown" for rule in rules) else []


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
        wait_until(lambda: _seen(deployment, 1), timeout=120, interval=0.5)
        _wave(deployment)
        wait_until(lambda: _seen(deployment, 2), timeout=120, interval=0.5)

        assert _check_panels(url) >= 40
        _check_variables(url)
        wait_until(
            lambda: bool(_dead_letter_alert_states(url) & {"pending", "firing"}), timeout=30, interval=0.25
        )

        wait_until(lambda: bool(_evaluated_rules(url)), timeout=30, interval=0.25)
        rules = _evaluated_rules(url)
        shipped = yaml.safe_load((PROMETHEUS_DIR / "rules" / "marketjobs.rules.yml").read_text())["groups"]
        assert len(rules) == sum(len(group["rules"]) for group in shipped)
        broken = {rule["name"]: rule.get("lastError") for rule in rules if rule["health"] != "ok"}
        assert not broken, broken
    finally:
        engine = create_store_engine(records_of(deployment.broker).settings.database_url)
        request_cancel(engine, long_job.message_id)
