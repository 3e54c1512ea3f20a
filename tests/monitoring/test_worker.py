"""Worker metrics from real `marketjobs worker` processes, aggregated and served by the dramatiq fork."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from dramatiq import Message
from prometheus_client.parser import text_string_to_metric_families

from marketjobs.config import configure, load_settings
from marketjobs.jobs.broker import broker_from_url
from monitoring.names import OTHER_LABEL
from monitoring.worker import MULTIPROC_ENV, WorkerMetrics
from tests.conftest import fast_settings, wait_until
from tests.servers import free_port

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
QUEUE = ("queue_name", "diagnostics")


def scrape(port: int) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.timeout(120)
def test_two_worker_processes_report_outcomes_durations_waits_and_liveness(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'marketjobs.db'}"
    port = free_port()
    env = {
        **os.environ,
        "MARKETJOBS_BROKER_URL": url,
        "MARKETJOBS_DATABASE_URL": url,
        "MARKETJOBS_METRICS_PORT": str(port),
        "MARKETJOBS_MAX_RETRIES": "0",
    }
    settings = load_settings(broker_url=url, database_url=url)
    configure(settings)
    broker = broker_from_url(url, settings=settings, middleware=[WorkerMetrics()])
    noop = dramatiq.actor(actor_name="noop", queue_name="diagnostics", broker=broker)(lambda: None)
    fail = dramatiq.actor(actor_name="fail", queue_name="diagnostics", broker=broker)(lambda reason="": None)
    for _ in range(20):
        noop.send()
    fail.send("metrics test")
    worker = subprocess.Popen(
        [sys.executable, "-m", "marketjobs", "worker", "-p", "2", "-t", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # Each process writes its own files and a scrape reads them one after another: poll until the
        # whole picture is there rather than asserting on one scrape.
        completed = ("marketjobs_jobs_total", (("actor_name", "noop"), ("outcome", "completed"), QUEUE))
        failed = ("marketjobs_jobs_total", (("actor_name", "fail"), ("outcome", "failed"), QUEUE))
        durations = ("marketjobs_job_duration_seconds_count", (("actor_name", "noop"), QUEUE))
        waits = ("marketjobs_job_queue_wait_seconds_count", (("actor_name", "noop"), QUEUE))

        def complete(samples: Samples) -> bool:
            up = [v for (name, _), v in samples.items() if name == "marketjobs_worker_up"]
            return (
                samples.get(completed) == samples.get(durations) == samples.get(waits) == 20
                and samples.get(failed, 0) >= 1
                and up == [1.0, 1.0]  # one live series per worker process
            )

        deadline = time.monotonic() + 60
        samples: Samples = {}
        while not complete(samples):
            if time.monotonic() > deadline:
                shown = {k: v for k, v in samples.items() if not k[0].endswith("_bucket")}
                pytest.fail(f"worker metrics incomplete after 60 s: {shown}")
            time.sleep(0.2)
            try:
                samples = scrape(port)
            except OSError:
                samples = {}
        assert (tmp_path / "var" / "prometheus" / str(port)).is_dir()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
        broker.close()
        configure(None)


def test_brokers_use_worker_metrics_instead_of_dramatiqs_prometheus_middleware() -> None:
    """Dramatiq's middleware counts retries twice and its delayed gauge goes negative (README, Monitoring)."""
    from dramatiq.middleware.prometheus import Prometheus

    from actors import build_broker

    broker = build_broker(load_settings(broker_url="stub://"))
    try:
        kinds = [type(middleware) for middleware in broker.middleware]
        assert WorkerMetrics in kinds
        assert Prometheus not in kinds
    finally:
        broker.close()


def forged_message(queue_name: str, actor_name: str) -> Message[Any]:
    """A message as anyone who can write to the broker could spell it."""
    return Message(queue_name=queue_name, actor_name=actor_name, args=(), kwargs={}, options={})


def test_messages_with_made_up_actor_or_queue_names_create_no_series(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    settings = fast_settings(sqlite_url, "stub://", max_retries=0)
    configure(settings)
    metrics = WorkerMetrics()
    broker = broker_from_url("stub://", settings=settings, middleware=[metrics])
    known = dramatiq.actor(actor_name="known_job", queue_name="metrics", broker=broker)(lambda: None)
    known.send()
    # What anyone who can write to the broker may put on a declared queue: made-up actor names.
    for _ in range(5):
        broker.enqueue(forged_message("metrics", f"x{uuid.uuid4().hex}"))
    worker = dramatiq.Worker(broker, worker_timeout=50, worker_threads=1)
    worker.start()

    def jobs() -> dict[tuple[str, str, str], float]:
        return {
            (s.labels["actor_name"], s.labels["queue_name"], s.labels["outcome"]): s.value
            for family in metrics._get()["jobs"].collect()
            for s in family.samples
            if s.name.endswith("_total")
        }

    try:
        wait_until(lambda: jobs().get(("known_job", "metrics", "completed")) == 1)
        broker.join("metrics", timeout=10_000, fail_fast=False)  # type: ignore[call-arg]
        worker.join()
    finally:
        worker.stop()
        broker.close()
        configure(None)
    assert jobs() == {("known_job", "metrics", "completed"): 1}
    # Names reach the hooks as the message spells them, before any lookup: undeclared ones are "other".
    for forged in (
        forged_message("metrics", f"x{uuid.uuid4().hex}"),
        forged_message(f"q{uuid.uuid4().hex}", "known_job"),
    ):
        metrics.before_process_message(broker, forged)
        metrics.after_process_message(broker, forged, exception=RuntimeError("forged"))
    assert jobs() == {
        ("known_job", "metrics", "completed"): 1,
        (OTHER_LABEL, "metrics", "failed"): 1,
        ("known_job", OTHER_LABEL, "failed"): 1,
    }
    waits = {
        (s.labels["actor_name"], s.labels["queue_name"])
        for f in metrics._get()["wait"].collect()
        for s in f.samples
    }
    assert waits == {("known_job", "metrics"), (OTHER_LABEL, "metrics"), ("known_job", OTHER_LABEL)}
