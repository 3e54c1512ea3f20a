"""``marketjobs supervisor`` with real worker processes: scaling, crash replacement, recycling, draining."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

import pytest

from tests.supervisor.conftest import Running, wait_for

pytestmark = pytest.mark.timeout(240)

Supervise = Callable[..., Running]


def _completed(running: Running, ids: list[str]) -> Callable[[], bool]:
    return lambda: list(running.statuses(ids).values()).count("completed") == len(ids)


def test_a_burst_scales_the_pool_from_min_to_max_and_back_to_min_after_the_cool_down(
    supervise: Supervise,
) -> None:
    pool = {
        "queues": ["diagnostics"],
        "min": 1,
        "max": 3,
        "threads": 1,
        "target_latency_seconds": 1,
        "scale_down_after_seconds": 3,
    }
    running = supervise({"burst": pool})
    wait_for(lambda: len(running.workers("burst")) == 1, 60, "the pool's first worker", running)
    ids = running.send("sleep", 24, seconds=0.5, steps=1)
    wait_for(
        lambda: running.metric("marketjobs_supervisor_processes", pool="burst") == 3,
        60,
        "the pool at max",
        running,
    )
    wait_for(_completed(running, ids), 120, "every job completed", running)
    wait_for(
        lambda: running.metric("marketjobs_supervisor_processes", pool="burst") == 1,
        60,
        "the pool back at min",
        running,
    )
    up = running.metric(
        "marketjobs_supervisor_scale_events_total", pool="burst", direction="up", reason="latency"
    )
    down = running.metric(
        "marketjobs_supervisor_scale_events_total", pool="burst", direction="down", reason="idle"
    )
    assert (up, down) == (2.0, 2.0)
    assert "pool burst: 1 -> 2 processes (latency" in running.output()


def test_a_worker_killed_with_minus_9_is_replaced_while_the_others_work_and_no_job_is_lost(
    supervise: Supervise,
) -> None:
    running = supervise({"steady": {"queues": ["diagnostics"], "min": 2, "max": 2, "threads": 2}})
    wait_for(lambda: len(running.workers("steady")) == 2, 60, "two workers", running)
    ids = running.send("sleep", 30, seconds=0.4, steps=2)
    wait_for(lambda: "completed" in running.statuses(ids).values(), 60, "a first completed job", running)
    victim = running.workers("steady")[0]
    os.kill(victim.pid, signal.SIGKILL)
    wait_for(_completed(running, ids), 120, "every job completed after the kill", running)
    wait_for(
        lambda: (
            victim.pid not in {w.pid for w in running.workers("steady")}
            and len(running.workers("steady")) == 2
        ),
        60,
        "a replacement worker",
        running,
    )
    assert running.metric("marketjobs_supervisor_restarts_total", pool="steady") >= 1
    assert "exited unexpectedly" in running.output()


def test_a_leaking_worker_is_recycled_above_max_rss_and_its_job_is_kept(supervise: Supervise) -> None:
    pool: dict[str, Any] = {"queues": ["diagnostics"], "min": 1, "max": 1, "threads": 1}
    running = supervise({"leaky": {**pool, "max_rss_mb": 400}})
    wait_for(lambda: len(running.workers("leaky")) == 1, 60, "the worker", running)
    first = running.workers("leaky")[0]
    ids = running.send("hold_memory", 1, megabytes=512)
    wait_for(_completed(running, ids), 60, "the leaking job completed", running)
    wait_for(
        lambda: running.metric("marketjobs_supervisor_recycles_total", pool="leaky", reason="max_rss") == 1,
        60,
        "a recycle by RSS",
        running,
    )
    wait_for(
        lambda: [w.pid for w in running.workers("leaky")] not in ([], [first.pid]),
        60,
        "the replacement worker",
        running,
    )
    after = running.send("noop", 3)
    wait_for(_completed(running, after), 60, "jobs on the replacement", running)


def test_sigterm_drains_a_long_job_to_completion_and_exits_0(supervise: Supervise) -> None:
    running = supervise({"long": {"queues": ["diagnostics"], "min": 1, "max": 1, "threads": 1}})
    wait_for(lambda: len(running.workers("long")) == 1, 60, "the worker", running)
    ids = running.send("sleep", 1, seconds=4, steps=4)
    wait_for(lambda: running.statuses(ids).get(ids[0]) == "running", 60, "the job running", running)
    os.killpg(running.process.pid, signal.SIGTERM)
    assert running.process.wait(90) == 0
    assert running.statuses(ids) == {ids[0]: "completed"}
    assert "every worker drained" in running.output()


def test_sighup_reloads_the_pools_without_dropping_work(supervise: Supervise, tmp_path: Any) -> None:
    import yaml

    running = supervise({"reload": {"queues": ["diagnostics"], "min": 1, "max": 1, "threads": 1}})
    wait_for(lambda: len(running.workers("reload")) == 1, 60, "the first worker", running)
    ids = running.send("sleep", 6, seconds=0.5, steps=1)
    config = tmp_path / "marketjobs.yaml"
    settings = yaml.safe_load(config.read_text())
    settings["pools"]["reload"].update(min=2, max=2)
    config.write_text(yaml.safe_dump(settings))
    os.kill(running.process.pid, signal.SIGHUP)
    wait_for(lambda: len(running.workers("reload")) == 2, 60, "the reloaded pool at 2", running)
    wait_for(_completed(running, ids), 60, "every job completed across the reload", running)
    assert "settings reloaded" in running.output()
